/**
 * Receivers verify hookswitch's signatures with the Standard Webhooks library that
 * docs/receivers.md recommends: every request a real daemon signs must pass it, with each
 * secret of a rotation, and a request changed on the way must not.
 */
import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectPublisher,
  makeEvent,
  startDaemon,
  stopThenCleanUp,
  tempDir,
  writeIntegration,
  type Publisher,
  type RunningDaemon,
} from "../support/daemon.js";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { startReceiver, type ReceivedRequest, type Receiver } from "../support/receiver.js";
import { waitFor } from "../support/wait.js";

const newSecret = () => `whsec_${randomBytes(32).toString("base64")}`;
const [CURRENT, NEXT] = [newSecret(), newSecret()];

function signedHeaders(request: ReceivedRequest): Record<string, string> {
  const header = (name: string) => String(request.headers[name]);
  return {
    "webhook-id": header("webhook-id"),
    "webhook-timestamp": header("webhook-timestamp"),
    "webhook-signature": header("webhook-signature"),
  };
}

describe("a receiver using the Standard Webhooks library", () => {
  let nats: NatsServer;
  let receiver: Receiver;
  let publisher: Publisher;
  let daemon: RunningDaemon;
  const dir = tempDir();

  beforeAll(async () => {
    nats = await startNatsServer();
    receiver = await startReceiver();
    publisher = await connectPublisher(nats.url);
    const signing = { secret: ["${env:TEST_SIGNING_CURRENT}", "${env:TEST_SIGNING_NEXT}"] };
    writeIntegration(dir.path, "as-json", { url: `${receiver.url}/json`, signing });
    writeIntegration(dir.path, "as-form", { url: `${receiver.url}/form`, format: "form", signing });
    writeIntegration(dir.path, "as-query", {
      url: `${receiver.url}/query?source=pbx`,
      method: "GET",
      signing,
    });
    daemon = await startDaemon({
      natsUrl: nats.url,
      dir: dir.path,
      env: { TEST_SIGNING_CURRENT: CURRENT, TEST_SIGNING_NEXT: NEXT },
    });
    await publisher.publish(makeEvent({ name: "Zoë Ångström & Co. ✓" }));
    await waitFor(() => receiver.requests.length >= 3, { what: "the three signed webhooks" });
  }, 60_000);

  afterAll(async () => {
    await stopThenCleanUp(
      daemon,
      () => publisher.close(),
      () => receiver.close(),
      () => nats.dispose(),
      () => dir.cleanup(),
    );
  });

  it("verifies a JSON body with either secret of a rotation, and parses it", () => {
    const request = receiver.requests.find((r) => r.url === "/json")!;
    expect(request.headers["webhook-signature"]).toMatch(/^v1,\S+ v1,\S+$/);
    for (const secret of [CURRENT, NEXT]) {
      const payload = new Webhook(secret).verify(request.body, signedHeaders(request));
      expect(payload).toMatchObject({ name: "Zoë Ångström & Co. ✓" });
    }
  });

  it("verifies a form body with jsonParse off, as docs/receivers.md says", () => {
    const request = receiver.requests.find((r) => r.url === "/form")!;
    for (const secret of [CURRENT, NEXT]) {
      const verify = () =>
        new Webhook(secret).verify(request.body, signedHeaders(request), { jsonParse: false });
      expect(verify).not.toThrow();
    }
    expect(new URLSearchParams(request.body).get("name")).toBe("Zoë Ångström & Co. ✓");
  });

  it("verifies a query's request over its empty body", () => {
    const request = receiver.requests.find((r) => r.url.startsWith("/query"))!;
    expect(request.body).toBe("");
    for (const secret of [CURRENT, NEXT]) {
      expect(new Webhook(secret).verify(request.body, signedHeaders(request))).toBeUndefined();
    }
  });

  it("refuses a body changed on the way, and a secret that was never used", () => {
    const request = receiver.requests.find((r) => r.url === "/json")!;
    const changed = request.body.replace("Zoë", "Zoe");
    expect(changed).not.toBe(request.body);
    expect(() => new Webhook(CURRENT).verify(changed, signedHeaders(request))).toThrow();
    expect(() => new Webhook(newSecret()).verify(request.body, signedHeaders(request))).toThrow();
  });
});
