/**
 * `hookswitch emit` when the NATS connection is lost while it publishes: it says so at once,
 * and ends saying how many of its events were stored, each of whose ids it printed.
 */
import type { JetStreamManager } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { ensureEventStream } from "../../src/nats/event-stream.js";
import { spawnCli } from "../support/cli.js";
import { useNatsWithClient, type NatsServer } from "../support/nats-server.js";
import { waitFor } from "../support/wait.js";

let server: NatsServer;
let jsm: JetStreamManager;

useNatsWithClient("emit-outage-test", async (started) => {
  ({ server, jsm } = started);
  await ensureEventStream(jsm, { name: "PBX_EVENTS", subjects: ["pbx.>"], create: true });
});

describe("hookswitch emit when NATS goes away mid-run", () => {
  it("notes the lost connection, then fails with how many of its events were stored", async () => {
    const emitting = spawnCli(["emit", "user.created", "--count", "200", "--rate", "20"], {
      env: { NATS_URL: server.url },
    });
    const ids = () => emitting.output().match(/^[0-9a-f-]{36}$/gm) ?? [];
    await waitFor(() => ids().length >= 5, { what: "five ids", timeoutMs: 10_000 });
    await server.stop();
    try {
      expect(await emitting.exited).toBe(1);
      const output = emitting.output();
      expect(output).toContain(
        "note: the NATS connection was lost; waiting up to 10 s for it to come back",
      );
      // Its first publish NATS does not acknowledge ends it, or the 10 s without NATS.
      expect(output).toMatch(
        /hookswitch: (publishing event \S+ failed|the NATS connection was lost and not back within 10 s)/,
      );
      const tally = /stored: (\d+) of 200 events \(their ids are printed\), the other (\d+) not/;
      const [, stored, other] = tally.exec(output) ?? [];
      expect(Number(stored), output).toBe(ids().length);
      expect(Number(other)).toBe(200 - ids().length);
      expect(output).not.toMatch(/\n\s+at /); // no stack trace
    } finally {
      await server.start();
    }
    // Every id printed was stored: the stream holds them once NATS is back.
    const stored = await waitFor(
      () =>
        jsm.streams.info("PBX_EVENTS").then(
          (info) => info.state.messages,
          () => undefined,
        ),
      { timeoutMs: 20_000, what: "the stream, once NATS is back" },
    );
    expect(stored).toBeGreaterThanOrEqual(ids().length);
  }, 60_000);

  it("publishes again what a short restart of NATS left unacknowledged, and stores each event once", async () => {
    const before = (await jsm.streams.info("PBX_EVENTS")).state.messages;
    const emitting = spawnCli(["emit", "user.created", "--count", "100", "--rate", "20"], {
      env: { NATS_URL: server.url },
    });
    const ids = () => emitting.output().match(/^[0-9a-f-]{36}$/gm) ?? [];
    await waitFor(() => ids().length >= 10, { what: "ten ids", timeoutMs: 10_000 });
    await server.stop();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await server.start();
    expect(await emitting.exited, emitting.output()).toBe(0);
    expect(emitting.output()).toContain("note: the NATS connection was lost");
    expect(new Set(ids()).size).toBe(100);
    const info = await waitFor(() => jsm.streams.info("PBX_EVENTS").catch(() => undefined), {
      what: "the stream, once NATS is back",
    });
    expect(info.state.messages - before).toBe(100);
  }, 60_000);
});
