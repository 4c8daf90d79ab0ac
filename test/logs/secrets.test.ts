/**
 * A full daemon run with every kind of secret, at debug level, through successes, retries,
 * dead letters, an invalid reload and a stop: no secret, nor any encoding of one, may show
 * in the logs, /metrics, the status page, /api/integrations, `dlq list` or `render`.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { startReceiver, type Receiver } from "../support/receiver.js";
import {
  connectPublisher,
  makeEvent,
  startDaemon,
  tempDir,
  writeIntegration,
  type Publisher,
  type RunningDaemon,
} from "../support/daemon.js";
import { sleep, waitFor } from "../support/wait.js";

const SIGNING_KEY = "signing-key-bytes-QX7Z9K2M";
const SECRETS = {
  token: "tok-Vq8Rb3LmZx91",
  basicUser: "hook-user-Jd82Ks",
  basicPassword: "pw-file-Np4Tz6Wy",
  signing: `whsec_${Buffer.from(SIGNING_KEY).toString("base64")}`,
  apiKey: "apikey-Hx5Cq0Ue7",
  urlPassword: "urlpass-Mk3Fo8Gi",
  fileToken: "filetok-Lr2Yw9Ep",
};

/** Every form a secret could take on its way out: as is, base64, URL-encoded, Basic pairs. */
function needles(): Map<string, string> {
  const found = new Map<string, string>();
  const add = (what: string, value: string) => found.set(value, what);
  for (const [name, value] of Object.entries(SECRETS)) {
    add(name, value);
    add(`${name} (base64)`, Buffer.from(value).toString("base64"));
    add(`${name} (url-encoded)`, encodeURIComponent(value));
  }
  add("signing key", SIGNING_KEY);
  add("signing key (base64)", Buffer.from(SIGNING_KEY).toString("base64"));
  const basic = Buffer.from(`${SECRETS.basicUser}:${SECRETS.basicPassword}`).toString("base64");
  add("Basic credentials", basic);
  add("URL user-info", Buffer.from(`user:${SECRETS.urlPassword}`).toString("base64"));
  return found;
}

function leaksIn(where: string, text: string): string[] {
  const leaks: string[] = [];
  const lines = text.split("\n");
  for (const [value, what] of needles()) {
    const line = lines.find((l) => l.includes(value));
    if (line !== undefined) leaks.push(`${where}: ${what} in: ${line.slice(0, 300)}`);
  }
  return leaks;
}

describe("secrets in a full daemon run", () => {
  let nats: NatsServer;
  let receiver: Receiver;
  let publisher: Publisher;
  let dir: ReturnType<typeof tempDir>;
  let files: ReturnType<typeof tempDir>;
  let daemon: RunningDaemon;
  const outputs = new Map<string, string>();
  let env: Record<string, string>;

  beforeAll(async () => {
    nats = await startNatsServer();
    const signedAttempts = { count: 0 };
    receiver = await startReceiver((req) => {
      if (req.url.startsWith("/flaky")) return { status: 503 }; // retried, then dead-lettered
      if (req.url.startsWith("/refuses")) return { status: 400, body: "no thanks" };
      if (req.url.startsWith("/signed") && signedAttempts.count++ === 0) return { status: 503 };
      return undefined;
    });
    publisher = await connectPublisher(nats.url);
    dir = tempDir();
    files = tempDir("hookswitch-secrets-");
    writeFileSync(join(files.path, "password"), `${SECRETS.basicPassword}\n`);
    writeFileSync(join(files.path, "token"), `${SECRETS.fileToken}\n`);
    env = {
      CRM_TOKEN: SECRETS.token,
      BASIC_USER: SECRETS.basicUser,
      SIGNING: SECRETS.signing,
      API_KEY: SECRETS.apiKey,
      URL_PASS: SECRETS.urlPassword,
      NATS_URL: nats.url,
    };
    writeIntegrations(dir.path, files.path, receiver);
    daemon = await startDaemon({ natsUrl: nats.url, dir: dir.path, env });

    const event = makeEvent();
    writeFileSync(join(files.path, "event.json"), JSON.stringify(event));
    await publisher.publish(event);
    const seen = (prefix: string) => receiver.requests.filter((r) => r.url.startsWith(prefix));
    await waitFor(() => seen("/flaky").length >= 2 && seen("/signed").length >= 2, {
      timeoutMs: 15_000,
      what: "the retries",
    });
    const listed = await waitFor(
      async () => {
        const out = await runCli(["dlq", "list", "--json"], { env });
        const records = JSON.parse(out.stdout || "[]") as { integration: string }[];
        return records.length >= 2 ? out.stdout : undefined;
      },
      { timeoutMs: 15_000, what: "two dead letters" },
    );
    outputs.set("dlq list --json", listed);
    outputs.set("dlq list", (await runCli(["dlq", "list"], { env })).stdout);

    // An invalid reload: the token integration gains an unknown key next to its secret.
    writeIntegration(
      dir.path,
      "crm",
      { url: `${receiver.url}/crm`, auth: { type: "token", token: "${env:CRM_TOKEN}" } },
      { colour: "${env:API_KEY}" },
    );
    await waitFor(
      async () => {
        const api = (await (await fetch(`${daemon.http}/api/integrations`)).json()) as {
          invalidFiles: { file: string }[];
        };
        return api.invalidFiles.some((f) => f.file.endsWith("crm.yaml"));
      },
      { what: "the invalid reload" },
    );
    await sleep(300);
    for (const path of ["/metrics", "/", "/api/integrations"]) {
      outputs.set(path, await (await fetch(`${daemon.http}${path}`)).text());
    }
    const renders = ["crm-file", "basic", "signed", "keyed", "flaky"].map(async (name) => {
      const args = ["render", name, "--dir", dir.path, "--event", join(files.path, "event.json")];
      const [text, json] = await Promise.all([
        runCli(args, { env }),
        runCli([...args, "--json"], { env }),
      ]);
      expect(text.code, text.stderr).toBe(0);
      outputs.set(`render ${name}`, text.stdout + text.stderr);
      outputs.set(`render ${name} --json`, json.stdout + json.stderr);
    });
    await Promise.all(renders);
    expect(await daemon.stop()).toBe(0);
    outputs.set("daemon output", daemon.output());
  }, 90_000); // a daemon, NATS and a dozen CLI runs: more than the default on a busy machine
  afterAll(async () => {
    await daemon?.stop();
    await publisher.close();
    await receiver.close();
    await nats.dispose();
    dir.cleanup();
    files.cleanup();
  });

  it("sent every secret to the receivers, so there was something to leak", () => {
    const byPath = (path: string) => receiver.requests.find((r) => r.url.split("?")[0] === path)!;
    expect(byPath("/crm-file").headers.authorization).toBe(`Bearer ${SECRETS.fileToken}`);
    expect(byPath("/basic").headers.authorization).toBe(
      `Basic ${Buffer.from(`${SECRETS.basicUser}:${SECRETS.basicPassword}`).toString("base64")}`,
    );
    expect(byPath("/refuses").headers["x-api-key"]).toBe(SECRETS.apiKey);
    expect(byPath("/flaky").headers["webhook-signature"]).toMatch(/^v1,/);
    expect(byPath("/crm").headers.authorization).toBe(`Bearer ${SECRETS.token}`);
  });

  it("would notice a leak: the checker finds each form of a secret", () => {
    const basic = Buffer.from(`${SECRETS.basicUser}:${SECRETS.basicPassword}`).toString("base64");
    expect(leaksIn("sample", `ok\nAuthorization: Basic ${basic}\n`)).toHaveLength(1);
    expect(leaksIn("sample", `k=${encodeURIComponent(SECRETS.signing)}`)).not.toEqual([]);
    expect(leaksIn("sample", "nothing here")).toEqual([]);
  });

  it("reported the URL with user-info and the invalid reload without their values", () => {
    const api = JSON.parse(outputs.get("/api/integrations")!) as {
      invalidFiles: { file: string; problems: { message: string }[] }[];
    };
    const invalid = api.invalidFiles.map((f) => f.file.replace(/^.*\//, "")).sort();
    expect(invalid).toEqual(["crm.yaml", "userinfo.yaml"]);
  });

  it("logged the run at debug level: attempts, retries, dead letters, the reload, the stop", () => {
    const log = outputs.get("daemon output")!;
    expect(log).toMatch(/"level":"debug"/);
    expect(log).toMatch(/webhook attempt/);
    expect(log).toMatch(/delivery dead-lettered/);
    expect(log).toMatch(/crm\.yaml/);
    expect(log).toMatch(/"msg":"stopped"/);
  });

  it.each([
    "daemon output",
    "/metrics",
    "/",
    "/api/integrations",
    "dlq list --json",
    "dlq list",
    "render crm-file",
    "render crm-file --json",
    "render basic",
    "render basic --json",
    "render signed",
    "render signed --json",
    "render keyed",
    "render keyed --json",
    "render flaky",
    "render flaky --json",
  ])("leaks no secret in %s", (where) => {
    const text = outputs.get(where);
    expect(text, `${where} was captured`).toBeTruthy();
    expect(leaksIn(where, text!)).toEqual([]);
  });
});

function writeIntegrations(dir: string, secretsDir: string, receiver: Receiver): void {
  const url = receiver.url;
  writeIntegration(dir, "crm", {
    url: `${url}/crm`,
    auth: { type: "token", token: "${env:CRM_TOKEN}" },
  });
  writeIntegration(dir, "crm-file", {
    url: `${url}/crm-file`,
    auth: { type: "token", token: `\${file:${join(secretsDir, "token")}}` },
  });
  writeIntegration(dir, "basic", {
    url: `${url}/basic`,
    auth: {
      type: "basic",
      username: "${env:BASIC_USER}",
      password: `\${file:${join(secretsDir, "password")}}`,
    },
  });
  writeIntegration(dir, "signed", {
    url: `${url}/signed`,
    signing: { secret: "${env:SIGNING}" },
  });
  writeIntegration(dir, "keyed", {
    url: `${url}/refuses`,
    headers: { "X-Api-Key": "${env:API_KEY}" },
    fields: { ext: "extensionNumber", key: { value: "${env:API_KEY}" } },
  });
  writeIntegration(dir, "flaky", {
    url: `${url}/flaky?key=\${env:API_KEY}`,
    signing: { secret: "${env:SIGNING}" },
    retry: { maxAttempts: 2, initialDelay: "100ms", maxDelay: "200ms" },
  });
  writeIntegration(dir, "userinfo", {
    url: `http://user:\${env:URL_PASS}@127.0.0.1:${receiver.port}/x`,
  });
}
