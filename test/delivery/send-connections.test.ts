/**
 * Connections whose set-up goes wrong: a port that takes the TCP connection and never
 * finishes the TLS handshake (undici goes on setting a connection up after the request that
 * asked for it is gone), and a plain HTTP port behind an https URL.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createEgressPolicy } from "../../src/delivery/egress.js";
import { createSender, type Sender } from "../../src/delivery/send.js";
import type { WebhookRequest } from "../../src/delivery/types.js";
import { startSilentPort } from "../support/silent-port.js";
import { waitFor } from "../support/wait.js";

const post = (url: string): WebhookRequest => ({
  method: "POST",
  url,
  headers: { "Content-Type": "application/json" },
  body: "{}",
});

const cleanups: Array<() => Promise<void>> = [];
const tracked = <T extends { close(): Promise<void> }>(thing: T): T => {
  cleanups.push(() => thing.close());
  return thing;
};
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

const newSender = (): Sender =>
  tracked(createSender({ egress: createEgressPolicy({ deny: [], allow: [] }) }));

describe("connections to a port that never finishes the TLS handshake", () => {
  it("are closed when their attempt times out, not kept for a minute", async () => {
    const port = tracked(await startSilentPort());
    const sender = newSender();
    for (let i = 0; i < 3; i++) {
      const outcome = await sender.send(post(port.url), { timeoutMs: 300 });
      expect(outcome).toMatchObject({ kind: "error", code: "TIMEOUT" });
    }
    await waitFor(() => port.open() === 0, {
      timeoutMs: 5_000,
      what: "the receiver to see every connection closed",
    });
  });

  it("do not hold up closing the sender once the attempt was aborted (shutdown)", async () => {
    const port = tracked(await startSilentPort());
    const sender = newSender();
    const abort = new AbortController();
    const attempt = sender.send(post(port.url), { timeoutMs: 30_000, signal: abort.signal });
    await waitFor(() => port.open() === 1, { what: "the connection to be taken" });
    abort.abort(new Error("shutdown"));
    expect(await attempt).toMatchObject({ kind: "error", code: "ABORTED" });

    const closing = sender.close().then(() => "closed");
    const deadline = new Promise((resolve) => setTimeout(resolve, 3_000, "still closing"));
    // undici drops the socket itself only when its set-up ends (at the attempt's timeout);
    // the daemon's exit does not wait for that.
    expect(await Promise.race([closing, deadline])).toBe("closed");
  });
});

describe("an https URL on a port that speaks plain HTTP", () => {
  it("fails as TLS, saying the port does not speak TLS", async () => {
    const plain = createServer((_req, res) => res.end("plain"));
    await new Promise<void>((resolve) => plain.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => plain.close(() => resolve())));
    const { port } = plain.address() as AddressInfo;
    const outcome = await newSender().send(post(`https://127.0.0.1:${port}/hook`), {
      timeoutMs: 2_000,
    });
    expect(outcome).toMatchObject({ kind: "error", code: "TLS" });
    const message = outcome.kind === "error" ? outcome.message : "";
    expect(message).toContain("the port does not speak TLS");
    expect(message).not.toMatch(/openssl|\.c:\d+/);
  });
});
