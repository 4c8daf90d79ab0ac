import { RetentionPolicy, type JetStreamManager } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { createJetStreamKeeper } from "../../src/nats/keeper.js";
import type { JetStreamNames } from "../../src/nats/settings.js";
import { capturingLogger } from "../support/logs.js";
import { useNatsWithClient } from "../support/nats-server.js";
import { sleep, waitFor } from "../support/wait.js";

let jsm: JetStreamManager;
useNatsWithClient("keeper-test", (started) => ({ jsm } = started));

function names(n: number, createStream = true): JetStreamNames {
  return {
    stream: `KEEP${String(n)}`,
    subjects: [`keep${String(n)}.>`],
    consumer: `keep${String(n)}`,
    deliver: "all",
    createStream,
    replicas: 1,
  };
}

/** A keeper of its own streams, with every reading of its consumers counted. */
function keeper(n: number, createStream = true) {
  const { log, lines } = capturingLogger("debug");
  const reads = { events: 0, deliveries: 0 };
  const kept = createJetStreamKeeper({
    jsm,
    names: names(n, createStream),
    ackWaitMs: 30_000,
    log,
    consumerRead: () => reads.events++,
    deliveryConsumerRead: () => reads.deliveries++,
  });
  return { kept, lines, reads };
}

/** The stream's consumer reads all of it again, and no other consumer is left beside it. */
async function filterPutBack(stream: string): Promise<boolean> {
  const consumers = [];
  for await (const info of jsm.consumers.list(stream)) consumers.push(info);
  return consumers.length === 1 && !consumers[0]?.config.filter_subject;
}

describe("the keeper of hookswitch's streams and consumers", () => {
  it("reads both consumers once set up, and stops everything at stop: no reading, no recovery, no log", async () => {
    const { kept, lines, reads } = keeper(1);
    await kept.start(() => Promise.resolve());
    // Both are read every 5 s.
    await waitFor(() => reads.events > 0 && reads.deliveries > 0, { timeoutMs: 15_000 });
    kept.stop();
    const logged = lines.length;
    const read = { ...reads };
    kept.lost("consumer keep1 on stream KEEP1 was deleted");
    await sleep(6_000);
    expect(reads).toEqual(read);
    expect(lines.slice(logged)).toEqual([]);
    expect(kept.reason()).toBeUndefined();
  });

  it("logs nothing of a set-up attempt that fails after the stop", async () => {
    const { kept, lines } = keeper(2);
    let fail: ((err: Error) => void) | undefined;
    const started = kept.start(() => new Promise<void>((_resolve, reject) => (fail = reject)));
    await waitFor(() => fail);
    kept.stop();
    const logged = lines.length;
    fail?.(new Error("connection closed"));
    await started.catch(() => undefined);
    expect(lines.slice(logged)).toEqual([]);
    expect(kept.reason()).toBeUndefined();
  });

  it("leaves the consumers alone until its first set-up has worked", async () => {
    const first = keeper(3);
    await first.kept.start(() => Promise.resolve());
    first.kept.stop();
    // The next start finds its deliveries' consumer, but no event stream to set up.
    await jsm.streams.delete("KEEP3");
    const { kept, reads } = keeper(3, false);
    // Given up at the stop (p-retry's abort).
    const started = kept.start(() => Promise.resolve()).catch((err: unknown) => err);
    await waitFor(() => kept.reason());
    // Both would have been read after 5 s.
    await sleep(6_000);
    expect(reads).toEqual({ events: 0, deliveries: 0 });
    expect(kept.reason()).toMatch(/^JetStream set-up failed: stream KEEP3 does not exist/);
    kept.stop();
    expect(await started).toMatchObject({ name: "AbortError" });
  });

  it("puts back the filter of a consumer on a work queue, where no bookmark can stand", async () => {
    // The operator's stream: on a work queue a consumer reads all of it.
    await jsm.streams.add({
      name: "KEEP4",
      subjects: ["keep4.>"],
      retention: RetentionPolicy.Workqueue,
    });
    const { kept, lines } = keeper(4, false);
    await kept.start(() => Promise.resolve());
    await jsm.consumers.update("KEEP4", "keep4", { filter_subject: "keep4.nothing.>" });
    // Read every 5 s; then deleted, and created again by the recovery.
    await waitFor(async () => filterPutBack("KEEP4"), {
      timeoutMs: 20_000,
      what: "the filter put back",
    });
    await waitFor(() => kept.reason() === undefined);
    expect(lines.map((line) => line.msg)).toContain("JetStream set up again: consuming");
    // Its own deletion is no outage; one that happens later is.
    const said = (what: string) => lines.filter((line) => String(line.msg).startsWith(what));
    expect(said("consumer keep4 on stream KEEP4 is created again")).toMatchObject([
      { level: "info", msg: expect.stringMatching(/filter: not ready while/) as unknown },
    ]);
    kept.lost("consumer keep4 on stream KEEP4 was deleted");
    expect(said("consumer keep4 on stream KEEP4 was deleted")).toMatchObject([
      {
        level: "warn",
        msg: expect.stringMatching(
          / \(deleted, NATS restarted without its storage, or NATS is stopping\)/,
        ) as unknown,
      },
    ]);
    kept.stop();
  });
});
