/**
 * The by-hand verification snippet of docs/receivers.md, taken from the doc itself, checks real
 * signed webhooks from a running daemon: JSON bodies, empty GET bodies, and rotated secrets.
 */
import { createHmac } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
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
  tempDir,
  writeIntegration,
  type RunningDaemon,
} from "../support/daemon.js";
import { waitFor } from "../support/wait.js";

type Verify = (
  secret: string,
  headers: Record<string, unknown>,
  rawBody: string,
  toleranceSeconds?: number,
) => boolean;

const secret = (text: string) => `whsec_${Buffer.from(text).toString("base64")}`;
const OLD_SECRET = secret("the-old-signing-secret-0123456789");
const NEW_SECRET = secret("the-new-signing-secret-9876543210");

/** The code block that follows the "By hand" heading in docs/receivers.md. */
function byHandSnippet(): string {
  const doc = readFileSync(join(REPO, "docs", "receivers.md"), "utf8");
  const section = doc.slice(doc.indexOf("### By hand"));
  const match = /```js\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error("no js block under 'By hand' in docs/receivers.md");
  return match[1]!;
}

describe("the receivers guide's signature check", () => {
  let nats: NatsServer;
  let receiver: Receiver;
  let dir: ReturnType<typeof tempDir>;
  let daemon: RunningDaemon;
  let verify: Verify;
  const snippetDir = tempDir("hookswitch-doc-");

  beforeAll(async () => {
    const module = join(snippetDir.path, "verify.mjs");
    writeFileSync(module, byHandSnippet());
    verify = ((await import(pathToFileURL(module).href)) as { verifyHookswitch: Verify })
      .verifyHookswitch;
    nats = await startNatsServer();
    receiver = await startReceiver();
    dir = tempDir();
    writeIntegration(dir.path, "json-hook", {
      url: `${receiver.url}/json`,
      signing: { secret: [OLD_SECRET, NEW_SECRET] },
    });
    writeIntegration(dir.path, "get-hook", {
      url: `${receiver.url}/get`,
      method: "GET",
      signing: { secret: NEW_SECRET },
    });
    daemon = await startDaemon({ natsUrl: nats.url, dir: dir.path });
    const publisher = await connectPublisher(nats.url);
    await publisher.publish(makeEvent());
    await publisher.close();
    await waitFor(() => receiver.requests.length >= 2, { what: "two signed webhooks" });
  });
  afterAll(async () => {
    expect(await daemon.stop()).toBe(0);
    await receiver.close();
    await nats.dispose();
    dir.cleanup();
    snippetDir.cleanup();
  });

  const request = (path: string) => receiver.requests.find((r) => r.url.startsWith(path))!;

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
});
