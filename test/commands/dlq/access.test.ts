import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import {
  integrationOption,
  reportMissing,
  withDeadLetters,
} from "../../../src/commands/dlq/access.js";
import { asFlag } from "../../../src/commands/options/env-flags.js";
import {
  ABSENT_DEAD_LETTER_STORE,
  createDeadLetterStore,
  type DeadLetterStore,
} from "../../../src/delivery/dead-letters.js";
import { DEAD_LETTER_STREAM } from "../../../src/nats/layout.js";
import { ensureHookswitchStreams } from "../../../src/nats/streams.js";
import { deadLetter } from "../../support/dead-letters.js";
import { useNatsWithClient, type NatsWithClient } from "../../support/nats-server.js";
import { useCapturedStderr } from "../../support/stderr.js";

const written = useCapturedStderr();

let nats: NatsWithClient;
useNatsWithClient("dlq-access-test", (started) => {
  nats = started;
});

describe("dlq's --integration option", () => {
  it("reads no environment variable, so that a stray one cannot widen a purge", () => {
    const option = integrationOption("only this integration's dead letters");
    expect(option.long).toBe("--integration");
    expect(option.description).toBe("only this integration's dead letters");
    expect(option.envVar).toBeUndefined();
  });
});

describe("dlq's report of ids not found", () => {
  it.each<[number[], string[]]>([
    [[], []],
    [[4], ["dead letter 4 not found\n"]],
    [
      [9, 2],
      ["dead letter 9 not found\n", "dead letter 2 not found\n"],
    ],
  ])("for ids %j says %j", (ids, lines) => {
    reportMissing(ids);
    expect(written()).toEqual(lines);
  });
});

describe("dlq's connection to the dead-letter queue", () => {
  it("notes a NATS without the dead letters' stream, and answers with an empty queue", async () => {
    await nats.jsm.streams.delete(DEAD_LETTER_STREAM).catch(() => undefined);
    let seen: { store: DeadLetterStore; nc: NatsConnection } | undefined;
    await withDeadLetters({ nats: nats.server.url, consumer: "hs-a" }, asFlag, async (ctx) => {
      seen = ctx;
      await Promise.resolve();
    });
    expect(seen?.store).toBe(ABSENT_DEAD_LETTER_STORE);
    expect(seen?.nc.isClosed()).toBe(true);
    expect(written()).toEqual([
      `note: stream ${DEAD_LETTER_STREAM} does not exist at 127.0.0.1:${nats.server.port}: no ` +
        "hookswitch daemon has run against this NATS (account) yet, so it holds no dead " +
        "letters (check NATS_URL if one has)\n",
    ]);
  });

  it("opens the queue a daemon created, says nothing, and closes the connection even when the work fails", async () => {
    await ensureHookswitchStreams(nats.jsm);
    const other = createDeadLetterStore(jetstream(nats.nc), nats.jsm, { consumer: "hookswitch" });
    const theirs = await other.add(deadLetter("crm"));
    let seen: { store: DeadLetterStore; nc: NatsConnection } | undefined;
    await expect(
      withDeadLetters({ nats: nats.server.url, consumer: "hs-b" }, asFlag, async (ctx) => {
        seen = ctx;
        // The queue is --consumer hs-b's: one of the default deployment (hookswitch) is not.
        expect(await ctx.store.othersOf([theirs, 9_999])).toEqual(
          new Map([[theirs, "hookswitch"]]),
        );
        throw new Error("work failed");
      }),
    ).rejects.toThrow("work failed");
    expect(seen?.store).not.toBe(ABSENT_DEAD_LETTER_STORE);
    expect(seen?.nc.isClosed()).toBe(true);
    expect(written()).toEqual([]);
  });
});
