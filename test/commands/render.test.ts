import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookId } from "../../src/delivery/webhook-id.js";
import { USER_AGENT } from "../../src/version.js";
import { CLI, runCli } from "../support/cli.js";
import { runsHere } from "../support/on-path.js";
import { waitFor } from "../support/wait.js";

const EVENT_FILE = new URL("../fixtures/events/user-created.json", import.meta.url);
const SECRET = "tok-7f3a9c1e55";
const SIGNING = `whsec_${Buffer.from("0123456789abcdef0123456789abcdef").toString("base64")}`;

const crmYaml = `apiVersion: hookswitch/v1
name: crm
scope:
  account: acme
trigger:
  serviceType: mycloudpbx
  events: [user.created]
webhook:
  url: https://crm.example.com/api/callbacks?src=pbx
  pathArguments: ["ext-{extensionNumber}"]
  auth:
    type: token
    token: \${env:RENDER_TEST_TOKEN}
  headers:
    X-User: "{name}"
  fields:
    ext: extensionNumber
    vm: hasVoicemail
  signing:
    secret: \${env:RENDER_TEST_SIGNING}
`;
const billingYaml = `apiVersion: hookswitch/v1
name: billing
enabled: false
scope:
  account: acme
trigger:
  serviceType: mycloudpbx
  events: [user.created]
webhook:
  url: https://billing.example.com/hook
  method: GET
---
apiVersion: hookswitch/v1
name: deletions
scope:
  account: acme
trigger:
  serviceType: mycloudpbx
  events: [user.deleted]
webhook:
  url: https://billing.example.com/deleted
`;

let dir: string;
let eventText: string;
const env = {
  RENDER_TEST_TOKEN: SECRET,
  RENDER_TEST_SIGNING: SIGNING,
  HOOKSWITCH_DIR: undefined,
  HOOKSWITCH_RENDER_INCLUDE_DISABLED: undefined,
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hookswitch-render-"));
  await mkdir(join(dir, "integrations.d"));
  await writeFile(join(dir, "integrations.d", "crm.yaml"), crmYaml);
  await writeFile(join(dir, "integrations.d", "billing.yaml"), billingYaml);
  eventText = await readFile(EVENT_FILE, "utf8");
  await writeFile(join(dir, "event.json"), eventText);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const render = (
  args: string[],
  options: { env?: Record<string, string | undefined>; input?: string; timeoutMs?: number } = {},
) => runCli(["render", ...args], { ...options, cwd: dir, env: { ...env, ...options.env } });

describe("hookswitch render", () => {
  it("prints the request for a name found in ./integrations.d, secrets masked", async () => {
    const { code, stdout, stderr } = await render(["crm", "--event", "event.json"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const [head, body] = stdout.split("\n\n");
    const lines = head!.split("\n");
    expect(lines[0]).toBe("POST https://crm.example.com/api/callbacks/ext-201?src=pbx");
    expect(lines).toContain(`User-Agent: ${USER_AGENT}`);
    expect(lines).toContain("Content-Type: application/json");
    expect(lines).toContain("Authorization: Bearer ****");
    expect(lines).toContain("X-User: Alice Example");
    expect(lines).toContain(
      `webhook-id: ${webhookId("crm", "9b2f4c1e-5a77-4e0f-8d1b-2f8f2a0c6d10")}`,
    );
    expect(lines).toContain("webhook-signature: v1,****");
    expect(lines.some((l) => /^webhook-timestamp: \d{10}$/.test(l))).toBe(true);
    expect(body).toBe('{"ext":"201","vm":true}\n');
    expect(stdout).not.toContain(SECRET);
  });

  it("prints JSON with the event read from standard input, secrets shown on request", async () => {
    const { code, stdout } = await render(["crm", "--event", "-", "--json", "--show-secrets"], {
      input: eventText,
    });
    expect(code).toBe(0);
    const printed = JSON.parse(stdout) as {
      method: string;
      url: string;
      headers: Record<string, string>;
      body: string | null;
    };
    expect(printed.method).toBe("POST");
    expect(printed.headers.Authorization).toBe(`Bearer ${SECRET}`);
    expect(printed.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(printed.body).toBe('{"ext":"201","vm":true}');
  });

  it("prints a null body in JSON for a GET, whose fields go in the query", async () => {
    const file = join(dir, "lookup.yaml");
    await writeFile(
      file,
      billingYaml
        .split("---\n")[0]!
        .replace("name: billing", "name: lookup")
        .replace("enabled: false\n", "")
        .replace("  method: GET", "  method: GET\n  fields:\n    ext: extensionNumber"),
    );
    const { code, stdout } = await render([file, "--event", "event.json", "--json"]);
    expect(code).toBe(0);
    const printed = JSON.parse(stdout) as { method: string; url: string; body: string | null };
    expect(printed).toMatchObject({
      method: "GET",
      url: "https://billing.example.com/hook?ext=201",
      body: null,
    });
  });

  it("reads an existing path as an integration file and --dir from HOOKSWITCH_DIR", async () => {
    const byFile = await render([
      join(dir, "integrations.d", "crm.yaml"),
      "--event",
      "event.json",
      "--json",
    ]);
    expect(byFile.code).toBe(0);
    expect((JSON.parse(byFile.stdout) as { url: string }).url).toContain("/ext-201");

    const byEnv = await render(["crm", "--event", "event.json"], {
      env: { HOOKSWITCH_DIR: join(dir, "integrations.d") },
    });
    expect(byEnv.code).toBe(0);
  });

  it("says why and exits 1 when the integration is disabled", async () => {
    const { code, stdout, stderr } = await render(["billing", "--event", "event.json"]);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/billing is disabled/);
  });

  it("renders a disabled integration with --include-disabled, saying it is off", async () => {
    const { code, stdout, stderr } = await render([
      "billing",
      "--event",
      "event.json",
      "--include-disabled",
      "--json",
    ]);
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as { url: string }).url).toMatch(
      /^https:\/\/billing\.example\.com\/hook\?extensionNumber=201&/,
    );
    expect(stderr).toMatch(/note: billing is disabled \(enabled: false\)/);

    const byEnv = await render(["billing", "--event", "event.json"], {
      env: { HOOKSWITCH_RENDER_INCLUDE_DISABLED: "true" },
    });
    expect(byEnv.code).toBe(0);
  });

  it("says --include-disabled previews a disabled one, and still refuses an event it does not match", async () => {
    const plain = await render(["billing", "--event", "event.json"]);
    expect(plain.stderr).toMatch(
      /--include-disabled renders the request it will send once enabled/,
    );

    // A file of its own, outside the folder the other cases list.
    const file = join(dir, "off-deletions.yaml");
    await writeFile(
      file,
      billingYaml.split("---\n")[1]?.replace("scope:", "enabled: false\nscope:") ?? "",
    );
    const { code, stdout, stderr } = await render([
      file,
      "--event",
      "event.json",
      "--include-disabled",
    ]);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toMatch(
      /triggered by user\.deleted, the event is user\.created \(and it is disabled/,
    );
  });

  it("says why and exits 1 when the event type is not a trigger", async () => {
    const { code, stderr } = await render(["deletions", "--event", "event.json"]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/triggered by user\.deleted, the event is user\.created/);
  });

  it("names the folder's integrations and exits 2 for an unknown name, unlike an event that does not match", async () => {
    const { code, stderr } = await render(["nope", "--event", "event.json"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /no integration named nope.*integrations there: billing, crm, deletions$/m,
    );
  });

  it("names those that cannot load too, for an unknown name: the one meant may be one of them", async () => {
    const { code, stderr } = await render(["crn", "--event", "event.json"], {
      env: { RENDER_TEST_TOKEN: undefined },
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /no integration named crn.*integrations there: billing, crm \(held back by problems\), deletions$/m,
    );
  });

  it("says the folder is missing and exits 2 when --dir names none", async () => {
    const { code, stderr } = await render([
      "crm",
      "--dir",
      join(dir, "nowhere"),
      "--event",
      "event.json",
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain(`no file crm, and no folder ${join(dir, "nowhere")}`);
  });

  it("prints the problems and exits 1 when a secret does not resolve", async () => {
    const { code, stdout, stderr } = await render(["crm", "--event", "event.json"], {
      env: { RENDER_TEST_TOKEN: undefined },
    });
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/crm\.yaml:\d+:\d+: .*RENDER_TEST_TOKEN/);
  });

  it("refuses a secret that --secret-env-prefix does not allow, as run would", async () => {
    const args = ["crm", "--event", "event.json", "--secret-env-prefix", "CRM_"];
    const { code, stdout, stderr } = await render(args);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toMatch(
      /crm\.yaml:\d+:\d+: webhook\.auth\.token: environment variable RENDER_TEST_TOKEN is not one integration files may read: its name must start with CRM_/,
    );
    expect(
      (await render(["crm", "--event", "event.json", "--secret-env-prefix", "RENDER_TEST_"])).code,
    ).toBe(0);
  });

  it("says which path argument the event leaves empty and exits 1, printing no request", async () => {
    const file = join(dir, "by-number.yaml");
    await writeFile(
      file,
      crmYaml.replace('["ext-{extensionNumber}"]', '["{serviceUuid}", "{outboundPhoneNumber}"]'),
    );
    const lacking = eventText.replace('"+61290000000"', "null");
    const { code, stdout, stderr } = await render([file, "--event", "-"], { input: lacking });
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      'hookswitch render: no request: webhook.pathArguments[1] "{outboundPhoneNumber}" is ' +
        "empty for this event, which has no outboundPhoneNumber (data.user.outboundNumber), and " +
        "a request with an empty path segment would go to another URL (`hookswitch run` " +
        "dead-letters such a delivery unsent)\n",
    );
    const full = await render([file, "--event", "event.json", "--json"]);
    expect(full.code).toBe(0);
    expect((JSON.parse(full.stdout) as { url: string }).url).toContain("/%2B61290000000?");
  });

  it("refuses a request larger than hookswitch sends and exits 1, printing no request", async () => {
    const file = join(dir, "repeats.yaml");
    // 60,000 ids of 36 characters: 2,160,000 characters, past the body's 2 MiB.
    const template = "{eventId}".repeat(60_000);
    await writeFile(file, crmYaml.replace("vm: hasVoicemail", `big: { template: "${template}" }`));
    const { code, stdout, stderr } = await render([file, "--event", "event.json"]);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      "hookswitch render: no request: webhook.fields.big would be larger than 2 MiB for this " +
        "event, and a request that large is not sent (`hookswitch run` dead-letters such a " +
        "delivery unsent): if such events are to be sent, send their long values in a JSON body " +
        "rather than a URL or header, or make the integration's templates repeat fewer fields\n",
    );
  });

  it("prints the problems of a file whose name holds a line break one per line", async () => {
    const file = join(dir, "bad\nname.yaml");
    await writeFile(file, crmYaml.replace("name: crm", "name: Not A Label"));
    const { code, stderr } = await render([file, "--event", "event.json"]);
    expect(code).toBe(1);
    const shown = file.replace("\n", "\ufffd");
    const lines = stderr.split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]?.startsWith(`${shown}:2:7: name must be a DNS label`)).toBe(true);
    expect(lines.slice(1)).toEqual([
      `hookswitch render: ${shown} cannot be loaded: fix the problems above`,
      "",
    ]);
  });

  it("gives the reason and exits 1 for an invalid event", async () => {
    const bad = eventText.replace(
      '3f0c6f8e-6a0b-4a39-9b1e-0d6f1f3f4a11",\n      "name',
      'nope",\n      "name',
    );
    const { code, stderr } = await render(["crm", "--event", "-"], { input: bad });
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /standard input is not a valid event: data\.service\.uuid must be a UUID/,
    );
  });

  it.each([
    [
      "an account that does not match",
      (text: string) => text.replace('"acme"', '"evil\\u001b]0;pwned\\u0007"'),
      "evil\ufffd]0;pwned\ufffd",
    ],
    ["text that is not JSON", () => "\u001b[2J\u001b]0;pwned\u0007 not JSON", "\ufffd[2J\ufffd]"],
  ])("prints control characters of %s as �, not as escapes", async (_what, hostile, shown) => {
    const { code, stderr } = await render(["crm", "--event", "-"], { input: hostile(eventText) });
    expect(code).toBe(1);
    expect(stderr).toContain(shown);
    // eslint-disable-next-line no-control-regex -- no control character may be left but \n
    expect(stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  });

  it.each([
    ["a file of 2 MB", "big-event.json"],
    ["a device that never ends", "/dev/zero"],
  ])("refuses %s after reading one byte more than an event may hold", async (_what, file) => {
    if (file === "big-event.json") await writeFile(join(dir, file), Buffer.alloc(2 ** 21, " "));
    const { code, stderr } = await render(["crm", "--event", file], { timeoutMs: 10_000 });
    expect(code).toBe(1);
    expect(stderr).toContain(
      `${file} is not a valid event: it holds more than 983040 bytes, the most an event may`,
    );
  });

  it("exits 2, a usage error, when the event file cannot be read", async () => {
    const { code, stderr } = await render(["crm", "--event", "missing.json"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/cannot read the event from missing\.json/);
  });

  it("exits 2 without --event", async () => {
    const { code, stderr } = await render(["crm"], { env: { HOOKSWITCH_EVENT: undefined } });
    expect(code).toBe(2);
    expect(stderr).toMatch(/--event/);
  });
});

/** `script` from util-linux runs a command on a terminal of its own. */
const hasScript = runsHere("script", ["--version"]);

describe.skipIf(!hasScript)("hookswitch render --event - at a terminal", () => {
  it("says what it waits for, which a pipe is not told", async () => {
    const command = [process.execPath, CLI, "render", "crm", "--event", "-"].join(" ");
    const child = spawn("script", ["-qec", command, "/dev/null"], {
      cwd: dir,
      env: { ...process.env, ...env, LOG_LEVEL: "warn" },
    });
    let seen = "";
    child.stdout.on("data", (chunk: Buffer) => (seen += chunk.toString()));
    await waitFor(() => seen.includes("reading the event from standard input"), {
      timeoutMs: 10_000,
      what: "the hint at the terminal",
    });
    child.stdin.end("\u0004"); // Ctrl-D: the end of what was typed
    const code = await new Promise((resolve) => child.once("exit", resolve));
    expect(code).toBe(1); // nothing was typed: not an event
    expect(seen).toContain("paste it, then press Ctrl-D");

    const piped = await render(["crm", "--event", "-"], { input: eventText });
    expect(piped.stderr).not.toContain("reading the event");
  });
});
