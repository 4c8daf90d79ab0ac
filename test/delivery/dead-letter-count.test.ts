import { jetstream, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { createDeadLetterCount } from "../../src/delivery/dead-letter-count.js";
import { createDeadLetterStore } from "../../src/delivery/dead-letters.js";
import { DEAD_LETTER_STREAM, deadLetterSubject } from "../../src/nats/layout.js";
import { ensureHookswitchStreams } from "../../src/nats/streams.js";
import { useNatsWithClient } from "../support/nats-server.js";
import { sleep, waitFor } from "../support/wait.js";

let nc: NatsConnection;
let jsm: JetStreamManager;

useNatsWithClient("dlq-count-test", (started) => ({ nc, jsm } = started));

/** Holds each read after NATS answered it: `answered` resolves then, `release` lets it end. */
function heldReads() {
  let answered!: () => void;
  let release!: () => void;
  return {
    answered: new Promise<void>((resolve) => (answered = resolve)),
    released: new Promise<void>((resolve) => (release = resolve)),
    onAnswer: () => answered(),
    release: () => release(),
  };
}

function counted(intervalMs = 60_000, held?: ReturnType<typeof heldReads>) {
  const shown: number[] = [];
  const missing: string[] = [];
  const store = createDeadLetterStore(jetstream(nc), jsm, { consumer: "hookswitch" });
  const count = createDeadLetterCount({
    store: held
      ? {
          count: async () => {
            const read = await store.count();
            held.onAnswer();
            await held.released;
            return read;
          },
        }
      : store,
    gauge: { set: (n) => shown.push(n) },
    missing: () => missing.push("missing"),
    intervalMs,
    rereadMs: 50,
  });
  return { count, shown, missing };
}

async function publishDeadLetters(n: number) {
  const js = jetstream(nc);
  for (let i = 0; i < n; i++) await js.publish(deadLetterSubject("hookswitch", "crm"), "{}");
}

describe("the dead-letter count", () => {
  it("is unknown until read, then reads the queue's size and counts this replica's additions", async () => {
    await ensureHookswitchStreams(jsm);
    await jsm.streams.purge(DEAD_LETTER_STREAM);
    await publishDeadLetters(3);
    const { count, shown, missing } = counted();
    count.added(); // before the first read: nothing to count up from
    expect(count.value()).toBeNull();
    await count.start();
    count.added();
    count.stop();
    expect(count.value()).toBe(4);
    expect(shown).toEqual([3, 4]);
    expect(missing).toEqual([]);
  });

  it("reads again soon when this replica added a dead letter during a read", async () => {
    await ensureHookswitchStreams(jsm);
    await jsm.streams.purge(DEAD_LETTER_STREAM);
    await publishDeadLetters(1);
    const held = heldReads();
    const { count } = counted(60_000, held);
    const started = count.start();
    await held.answered; // NATS said 1; this replica adds one before the read ends
    await publishDeadLetters(1);
    count.added();
    held.release();
    await started;
    expect(count.value()).toBe(1);
    await waitFor(() => count.value() === 2, { what: "the dead letter added during the read" });
    count.stop();
  });

  it("reads the size again while it runs, and stops reading when stopped", async () => {
    await ensureHookswitchStreams(jsm);
    await jsm.streams.purge(DEAD_LETTER_STREAM);
    const { count, shown } = counted(50);
    await count.start();
    await publishDeadLetters(2);
    await waitFor(() => count.value() === 2, { what: "the new size read" });
    count.stop();
    const seen = shown.length;
    await publishDeadLetters(1);
    await sleep(200);
    expect(shown).toHaveLength(seen);
  });

  it("reports a missing stream when HOOKSWITCH_DLQ is deleted, and shows no size", async () => {
    await ensureHookswitchStreams(jsm);
    await jsm.streams.purge(DEAD_LETTER_STREAM);
    await jsm.streams.delete(DEAD_LETTER_STREAM);
    const { count, missing } = counted();
    await count.start();
    count.stop();
    expect(count.value()).toBeNull();
    expect(missing).toEqual(["missing"]);
  });
});
