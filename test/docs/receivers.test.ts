/**
 * The verification snippets of docs/receivers.md, taken from the doc itself, check real signed
 * webhooks from a running daemon: the by-hand one JSON bodies, empty GET bodies and rotated
 * secrets; the `standardwebhooks` one runs as the server it is and answers the daemon.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHmac } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO } from "../support/cli.js";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { startReceiver, type Receiver } from "../support/receiver.js";
import {
  connectPublisher,
  makeEvent,
  startDaemon,
  stopThenCleanUp,
  tempDir,
  writeIntegration,
  type RunningDaemon,
} from "../support/daemon.js";
import { exited, freePort, waitFor } from "../support/wait.js";

type Verify = (
  secret: string,
  headers: Record<string, unknown>,
  rawBody: string,
  toleranceSeconds?: number,
) => boolean;

const secret = (text: string) => `whsec_${Buffer.from(text).toString("base64")}`;
/** A name beyond ASCII, as docs/receivers.md spells it in "Bytes and encodings". */
const NAME = "Zoë 李";
const OLD_SECRET = secret("the-old-signing-secret-0123456789");
const NEW_SECRET = secret("the-new-signing-secret-9876543210");

/** The first js code block after `heading` in docs/receivers.md. */
function snippet(heading: string): string {
  const doc = readFileSync(join(REPO, "docs", "receivers.md"), "utf8");
  const at = doc.indexOf(heading);
  if (at === -1) throw new Error(`no heading '${heading}' in docs/receivers.md`);
  const match = /```js\n([\s\S]*?)```/.exec(doc.slice(at));
  if (!match) throw new Error(`no js block under '${heading}' in docs/receivers.md`);
  return match[1]!;
}
const byHandSnippet = () => snippet("### By hand");

/**
 * The `standardwebhooks` server of the guide as a runnable module, as a reader pastes it (its
 * `handle` prints what it gets): only the package is resolved from this checkout, and the
 * port is a free one.
 */
function libraryServer(port: number): string {
  const code = snippet("### Node.js, with the `standardwebhooks` package");
  const library = createRequire(join(REPO, "package.json")).resolve("standardwebhooks");
  for (const part of ['from "standardwebhooks"', ".listen(8787)", "function handle("]) {
    expect(code, "the guide's standardwebhooks snippet").toContain(part);
  }
  return code
    .replace('from "standardwebhooks"', `from ${JSON.stringify(pathToFileURL(library).href)}`)
    .replace(".listen(8787)", `.listen(${port}, "127.0.0.1")`);
}

describe("the receivers guide's signature check", () => {
  let nats: NatsServer;
  let receiver: Receiver;
  let dir: ReturnType<typeof tempDir>;
  let daemon: RunningDaemon;
  let verify: Verify;
  const snippetDir = tempDir("hookswitch-doc-");
  let library: ChildProcess | undefined;
  const libraryOutput: string[] = [];

  beforeAll(async () => {
    const module = join(snippetDir.path, "verify.mjs");
    writeFileSync(module, byHandSnippet());
    verify = ((await import(pathToFileURL(module).href)) as { verifyHookswitch: Verify })
      .verifyHookswitch;
    const libraryPort = await freePort();
    const server = join(snippetDir.path, "server.mjs");
    writeFileSync(server, libraryServer(libraryPort));
    library = spawn(process.execPath, [server], {
      env: { ...process.env, WEBHOOK_SECRET: NEW_SECRET },
      stdio: ["ignore", "pipe", "inherit"],
    });
    library.stdout!.setEncoding("utf8").on("data", (text: string) => libraryOutput.push(text));
    await waitFor(
      () =>
        fetch(`http://127.0.0.1:${libraryPort}/`, { method: "POST" }).then(
          (r) => r.status === 401,
          () => false,
        ),
      { what: "the guide's standardwebhooks server" },
    );
    nats = await startNatsServer();
    receiver = await startReceiver();
    dir = tempDir();
    // Signed with the rotation's two secrets, the server knowing the new one; and with a
    // secret the server does not know, which it refuses (401: dead-lettered, no retry).
    writeIntegration(dir.path, "library-hook", {
      url: `http://127.0.0.1:${libraryPort}/hooks`,
      signing: { secret: [OLD_SECRET, NEW_SECRET] },
    });
    // The same server takes the other formats: a form body, and a query without a body.
    writeIntegration(dir.path, "library-form", {
      url: `http://127.0.0.1:${libraryPort}/hooks`,
      format: "form",
      signing: { secret: NEW_SECRET },
    });
    writeIntegration(dir.path, "library-query", {
      url: `http://127.0.0.1:${libraryPort}/hooks?tenant=acme`,
      method: "GET",
      signing: { secret: NEW_SECRET },
    });
    writeIntegration(dir.path, "library-stranger", {
      url: `http://127.0.0.1:${libraryPort}/hooks`,
      signing: { secret: secret("someone-else-0123456789abcdef") },
    });
    writeIntegration(dir.path, "json-hook", {
      url: `${receiver.url}/json`,
      signing: { secret: [OLD_SECRET, NEW_SECRET] },
    });
    writeIntegration(dir.path, "get-hook", {
      url: `${receiver.url}/get`,
      method: "GET",
      signing: { secret: NEW_SECRET },
    });
    // Another account's event, for "Bytes and encodings": a name beyond ASCII, no phone.
    const bytesHeaders = { "X-User": "{name}", "X-Phone": "{outboundPhoneNumber}" };
    for (const format of ["json", "form"]) {
      writeIntegration(
        dir.path,
        `bytes-${format}`,
        { url: `${receiver.url}/bytes/${format}`, format, headers: bytesHeaders },
        { scope: { account: "bytes" } },
      );
    }
    daemon = await startDaemon({ natsUrl: nats.url, dir: dir.path });
    const publisher = await connectPublisher(nats.url);
    await publisher.publish(makeEvent());
    const foreign = makeEvent({ account: "bytes", name: NAME });
    delete foreign.data.user.outboundNumber;
    await publisher.publish(foreign);
    await publisher.close();
    await waitFor(() => receiver.requests.length >= 4, { what: "four webhooks" });
  });
  afterAll(async () => {
    await stopThenCleanUp(
      daemon,
      async () => {
        if (library === undefined) return;
        const gone = exited(library);
        library.kill("SIGTERM");
        await gone;
      },
      () => receiver.close(),
      () => nats.dispose(),
      () => dir.cleanup(),
      () => snippetDir.cleanup(),
    );
  });

  const request = (path: string) => receiver.requests.find((r) => r.url.startsWith(path))!;

  it("sends what 'Bytes and encodings' says: whole UTF-8 bodies, header bytes to decode", async () => {
    const guide = readFileSync(join(REPO, "docs", "receivers.md"), "utf8");
    const [, name, encoded] = /\(`(.+?)` is `(.+?)`\)/.exec(guide) ?? [];
    const [, decoding] = /`(Buffer\.from\(value, "latin1"\)[^`]*)`/.exec(guide) ?? [];
    expect(name, "the guide's example name").toBe(NAME);
    expect(encoded, "the guide's percent-encoded example").toBeTypeOf("string");
    expect(decoding, "the guide's Node.js decoding").toBeTypeOf("string");
    const module = join(snippetDir.path, "decode.mjs");
    writeFileSync(module, `export const decode = (value) => ${decoding};\n`);
    const { decode } = (await import(pathToFileURL(module).href)) as {
      decode: (value: unknown) => string;
    };
    const json = request("/bytes/json");
    const form = request("/bytes/form");
    for (const sent of [json, form]) {
      expect(sent.headers["content-length"]).toBe(String(Buffer.byteLength(sent.body)));
      expect(sent.headers["transfer-encoding"]).toBeUndefined();
      expect(sent.headers["content-encoding"]).toBeUndefined();
      expect(sent.headers["x-user"]).not.toBe(NAME); // read as Latin-1 by Node.js
      expect(decode(sent.headers["x-user"])).toBe(NAME);
      expect(sent.headers["x-phone"]).toBe("");
    }
    expect(json.headers["content-type"]).toBe("application/json");
    expect((JSON.parse(json.body) as { name: string }).name).toBe(NAME);
    expect(form.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(form.body).toContain(`&name=${encoded}&`);
  });

  it("accepts a JSON webhook with either secret of a rotation", () => {
    const json = request("/json");
    expect(json.headers["webhook-signature"]).toMatch(/^v1,\S+ v1,\S+$/);
    expect(verify(OLD_SECRET, json.headers, json.body)).toBe(true);
    expect(verify(NEW_SECRET, json.headers, json.body)).toBe(true);
  });

  it("accepts a GET webhook, whose body is empty", () => {
    const get = request("/get");
    expect(get.body).toBe("");
    expect(verify(NEW_SECRET, get.headers, "")).toBe(true);
  });

  it("refuses a changed body, a wrong secret, a stale timestamp and missing headers", () => {
    const json = request("/json");
    expect(verify(NEW_SECRET, json.headers, `${json.body} `)).toBe(false);
    expect(verify(secret("someone-else-0123456789abcdef"), json.headers, json.body)).toBe(false);
    const stale = { ...json.headers, "webhook-timestamp": String(Date.now() / 1000 - 3600) };
    expect(verify(NEW_SECRET, stale, json.body)).toBe(false);
    expect(verify(NEW_SECRET, { ...json.headers, "webhook-signature": undefined }, json.body)).toBe(
      false,
    );
  });

  it("refuses a timestamp that is not a number, even signed, rather than skip the freshness check", () => {
    const json = request("/json");
    const id = String(json.headers["webhook-id"]);
    const key = Buffer.from(NEW_SECRET.slice("whsec_".length), "base64");
    const signed = (timestamp: string) => ({
      ...json.headers,
      "webhook-timestamp": timestamp,
      "webhook-signature": `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${json.body}`).digest("base64")}`,
    });
    expect(verify(NEW_SECRET, signed(String(Math.floor(Date.now() / 1000))), json.body)).toBe(true);
    expect(verify(NEW_SECRET, signed("soon"), json.body)).toBe(false);
    expect(verify(NEW_SECRET, signed(""), json.body)).toBe(false);
  });

  it("runs the guide's standardwebhooks server: it takes signed webhooks of every format and refuses a stranger's", async () => {
    const metric = (outcome: string) =>
      `hookswitch_deliveries_total{integration="library-stranger",outcome="${outcome}"} 1`;
    await waitFor(
      async () =>
        (await (await fetch(`${daemon.http}/metrics`)).text()).includes(metric("dead-lettered")),
      { what: "the stranger's webhook refused and dead-lettered" },
    );
    const lines = () => libraryOutput.join("").trim().split("\n").filter(Boolean);
    await waitFor(() => lines().length >= 3, { what: "the handled webhooks" });
    const handled = lines().map(
      (line) => JSON.parse(line) as { id: string; payload: Record<string, unknown> },
    );
    expect(handled).toHaveLength(3);
    for (const { id } of handled) expect(id).toMatch(/^msg_[0-9a-f]{32}$/);
    const payloads = handled.map((h) => h.payload);
    // JSON keeps its types; a form and a query carry text, the query the URL's own too.
    expect(payloads).toContainEqual(
      expect.objectContaining({ extensionNumber: "201", hasVoicemail: true }),
    );
    expect(payloads).toContainEqual(
      expect.objectContaining({ extensionNumber: "201", hasVoicemail: "true" }),
    );
    expect(payloads).toContainEqual(
      expect.objectContaining({ tenant: "acme", extensionNumber: "201", event: "user.created" }),
    );
    const metrics = await (await fetch(`${daemon.http}/metrics`)).text();
    for (const integration of ["library-hook", "library-form", "library-query"]) {
      expect(metrics).toContain(
        `hookswitch_deliveries_total{integration="${integration}",outcome="delivered"} 1`,
      );
    }
    expect(metrics).not.toContain(metric("retried"));
  });
});
