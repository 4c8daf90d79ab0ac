import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishUntilDeadLetters } from "../support/dead-letters.js";
import {
  connectPublisher,
  makeEvent,
  startDaemon,
  tempDir,
  writeIntegration,
  type RunningDaemon,
} from "../support/daemon.js";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { startReceiver, type Receiver } from "../support/receiver.js";
import { waitFor } from "../support/wait.js";

const TOKEN = "tok-9f8e7d6c5b4a";
const PASSWORD = "pw-1a2b3c4d5e";
const SIGNING = `whsec_${Buffer.from("signing-key-0123456789abcdef").toString("base64")}`;
const URL_KEY = "urlkey-5e6f7a8b";
const DESCRIPTION = "desc-secret-3c4d";

interface DeadLetter {
  integration: string | null;
  reason: string;
  request?: { headers: Record<string, string>; url: string };
  [key: string]: unknown;
}

/** A receiver on 127.0.0.2, outside the range this daemon denies (127.0.0.1/32, ::1/128). */
function startGoneReceiver(): Promise<{ url: string; hits: () => number; server: Server }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    req.resume();
    res.writeHead(410).end("gone");
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.2", () => {
      const { port } = server.address() as { port: number };
      resolve({ url: `http://127.0.0.2:${port}`, hits: () => hits, server });
    }),
  );
}

describe("egress policy and dead letters through the running daemon", () => {
  let nats: NatsServer;
  let dir: ReturnType<typeof tempDir>;
  let daemon: RunningDaemon;
  let gone: Awaited<ReturnType<typeof startGoneReceiver>>;
  let localHits = 0;
  let local: Server;
  let letters: DeadLetter[] = [];

  beforeAll(async () => {
    nats = await startNatsServer();
    gone = await startGoneReceiver();
    local = createServer((req, res) => {
      localHits++;
      res.end("ok");
    });
    await new Promise<void>((r) => local.listen(0, "127.0.0.1", r));
    const localPort = (local.address() as { port: number }).port;
    dir = tempDir();
    const once = { maxAttempts: 1 };
    writeIntegration(dir.path, "via-localhost", {
      url: `http://localhost:${localPort}/`,
      retry: once,
    });
    writeIntegration(dir.path, "mapped-dotted", {
      url: "http://[::ffff:169.254.169.254]/",
      retry: once,
    });
    writeIntegration(dir.path, "mapped-hex", { url: "http://[::ffff:a9fe:a9fe]/", retry: once });
    writeIntegration(dir.path, "token-auth", {
      url: `${gone.url}/t`,
      auth: { type: "token", token: "${env:SEC_TOKEN}" },
      signing: { secret: "${env:SEC_SIGNING}" },
      retry: once,
    });
    writeIntegration(dir.path, "basic-auth", {
      url: `${gone.url}/b`,
      auth: { type: "basic", username: "svc", password: "${env:SEC_PASSWORD}" },
      retry: once,
    });
    writeIntegration(
      dir.path,
      "secret-url",
      { url: "${env:SEC_URL}", retry: once },
      { scope: { account: "${env:SEC_ACCOUNT}" }, description: "${env:SEC_DESCRIPTION}" },
    );
    daemon = await startDaemon({
      natsUrl: nats.url,
      dir: dir.path,
      args: ["--deny-cidr", "127.0.0.1/32,::1/128"],
      env: {
        LOG_LEVEL: "info",
        SEC_TOKEN: TOKEN,
        SEC_PASSWORD: PASSWORD,
        SEC_SIGNING: SIGNING,
        SEC_URL: `${gone.url}/u?key=${URL_KEY}`,
        SEC_ACCOUNT: "acme",
        SEC_DESCRIPTION: DESCRIPTION,
      },
    });
    letters = await publishUntilDeadLetters<DeadLetter>(nats.url, 6, "six dead letters");
  }, 60_000);
  afterAll(async () => {
    await daemon?.stop();
    await new Promise((r) => local?.close(r));
    await new Promise((r) => gone?.server.close(r));
    await nats?.dispose();
    dir?.cleanup();
  });

  const letterOf = (name: string) => letters.find((l) => l.integration === name);

  it("refuses a hostname that resolves into a denied range, and says why", () => {
    expect(localHits).toBe(0);
    expect(letterOf("via-localhost")?.reason).toMatch(/egress policy.*localhost resolves to/);
  });

  it.each(["mapped-dotted", "mapped-hex"])(
    "refuses the IPv4-mapped IPv6 literal of the metadata address (%s)",
    (name) => {
      expect(letterOf(name)?.reason).toMatch(/egress policy.*169\.254\.169\.254.*link-local/);
    },
  );

  it("keeps the request of a dead letter with token, password and signature masked", () => {
    const text = JSON.stringify(letters);
    expect(gone.hits()).toBe(3);
    for (const secret of [
      TOKEN,
      PASSWORD,
      SIGNING,
      Buffer.from(`svc:${PASSWORD}`).toString("base64"),
    ]) {
      expect(text).not.toContain(secret);
    }
    const token = letterOf("token-auth")?.request?.headers;
    const basic = letterOf("basic-auth")?.request?.headers;
    expect(token?.authorization ?? token?.Authorization).toMatch(/\*{4}/);
    expect(basic?.authorization ?? basic?.Authorization).toMatch(/\*{4}/);
    expect(token?.["webhook-signature"]).toMatch(/\*{4}/);
  });

  it("shows a URL that is a secret as a whole as ****, in the dead letter and its reason", () => {
    const letter = letterOf("secret-url");
    expect(letter?.request?.url).toBe("****");
    expect(JSON.stringify(letter)).not.toMatch(new RegExp(`${URL_KEY}|127\\.0\\.0\\.2`));
    expect(daemon.output()).not.toContain(URL_KEY);
  });

  it("shows a description and scope fed by references as written on the status page", async () => {
    const api = await (await fetch(`${daemon.http}/api/integrations`)).text();
    const page = await (await fetch(`${daemon.http}/`)).text();
    for (const text of [api, page, daemon.output()]) expect(text).not.toContain(DESCRIPTION);
    const shown = (JSON.parse(api) as { integrations: { name: string }[] }).integrations.find(
      (i) => i.name === "secret-url",
    );
    expect(shown).toMatchObject({
      description: "${env:SEC_DESCRIPTION}",
      scope: { account: "${env:SEC_ACCOUNT}" },
    });
  });
});

describe("a network allowed inside a denied range (HOOKSWITCH_ALLOW_CIDRS)", () => {
  let nats: NatsServer;
  let receiver: Receiver;
  let dir: ReturnType<typeof tempDir>;
  let daemon: RunningDaemon | undefined;
  beforeAll(async () => {
    nats = await startNatsServer();
    receiver = await startReceiver();
    dir = tempDir();
  });
  afterAll(async () => {
    await daemon?.stop();
    await receiver?.close();
    await nats?.dispose();
    dir?.cleanup();
  });

  it("delivers to 127.0.0.1 with 127.0.0.0/8 denied and 127.0.0.1/32 allowed", async () => {
    writeIntegration(dir.path, "allowed", { url: `${receiver.url}/allowed` });
    daemon = await startDaemon({
      natsUrl: nats.url,
      dir: dir.path,
      args: ["--deny-cidr", "127.0.0.0/8"],
      env: { HOOKSWITCH_ALLOW_CIDRS: "127.0.0.1/32" },
    });
    const publisher = await connectPublisher(nats.url);
    try {
      await publisher.publish(makeEvent());
    } finally {
      await publisher.close();
    }
    await waitFor(() => receiver.requests.length === 1, { what: "the allowed delivery" });
    expect(receiver.requests[0]?.url).toBe("/allowed");
  }, 30_000);
});
