import type { JetStreamManager } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import {
  CONFIRMING_LOOKS,
  lookForPassedBy,
  PassedByCount,
  passedByMessage,
  recordsPassedBy,
  type ConsumerCounts,
} from "../../src/nats/passed-by.js";
import { deliverySubject } from "../../src/nats/layout.js";
import { keepsSubjectIndex } from "../../src/nats/server-version.js";
import { ensureHookswitchStreams } from "../../src/nats/streams.js";
import { natsServerVersion, useNatsWithClient } from "../support/nats-server.js";
import { addDeliveryConsumer, leaveOneRetryBehind } from "../support/passed-by.js";

let jsm: JetStreamManager;
useNatsWithClient("passed-by-test", (started) => ({ jsm } = started));

const version = natsServerVersion();
const old = !keepsSubjectIndex(version);

const at: ConsumerCounts = { pending: 2, ackPending: 3, delivered: 40, ackFloor: 30 };

describe("records a consumer passes by, from one look", () => {
  it.each([
    ["the stream holds what the consumer holds and will hand out", at, 5, at, 0],
    ["the stream holds two more", at, 7, at, 2],
    ["the stream holds fewer (records removed by hand)", at, 4, at, 0],
    [
      "the consumer handed one out meanwhile",
      at,
      7,
      { ...at, pending: 1, ackPending: 4, delivered: 41 },
      undefined,
    ],
    ["one was acknowledged meanwhile", at, 7, { ...at, ackPending: 2 }, undefined],
    ["one was published meanwhile", at, 7, { ...at, pending: 3 }, undefined],
    ["the ack floor moved meanwhile", at, 7, { ...at, ackFloor: 31 }, undefined],
  ])("when %s: %s", (_, before, inStream, after, expected) => {
    expect(recordsPassedBy(before, inStream, after)).toBe(expected);
  });
});

describe("the count of records passed by, shown", () => {
  const confirm = Array.from({ length: CONFIRMING_LOOKS }, () => 2);
  it.each([
    ["nothing, while looks find none", [0, 0, 0], [0, 0, 0], [undefined, undefined, undefined]],
    [
      "nothing, before enough looks in a row",
      [2, 2, 0, 2, 2],
      [0, 0, 0, 0, 0],
      [undefined, undefined, undefined, undefined, undefined],
    ],
    [
      "what is found at the third look in a row, told once",
      [...confirm, 3],
      [0, 0, 2, 3],
      [undefined, undefined, "found", undefined],
    ],
    [
      "found across looks that told nothing",
      [2, undefined, 2, 2],
      [0, 0, 0, 2],
      [undefined, undefined, undefined, "found"],
    ],
    [
      "none again once a look finds none, told",
      [...confirm, 0, 1],
      [0, 0, 2, 0, 0],
      [undefined, undefined, "found", "cleared", undefined],
    ],
  ])("is %s", (_, found, shown, told) => {
    const count = new PassedByCount();
    const seen = found.map((passed) => [count.look(passed), count.shown] as const);
    expect(seen.map(([, n]) => n)).toEqual(shown);
    expect(seen.map(([change]) => change)).toEqual(told);
  });
});

describe("what the daemon says of records passed by", () => {
  it("names the server older than 2.10.27 and the release that hands them over", () => {
    expect(passedByMessage("hs-deliveries", 1, "2.9.10")).toBe(
      "1 retry or replay waits in stream HOOKSWITCH_DELIVERIES that consumer hs-deliveries " +
        "will not hand out; they stay stored. nats-server 2.9.10 is older than 2.10.27 and " +
        "lost track of them when the consumer was created again: upgrade nats-server to " +
        "2.10.27 or later, which hands them over from the same store",
    );
  });

  it("on a newer server, names it and where to look", () => {
    expect(passedByMessage("hs-deliveries", 4, "2.11.4")).toMatch(
      /^4 retries and replays wait in stream .* nats-server 2\.11\.4 loses track of them; look at the consumer and the stream with the NATS tools$/,
    );
  });
});

describe(`a look on the tests' nats-server (${version})`, () => {
  it("finds none while every retry is held or still to be handed out", async () => {
    await ensureHookswitchStreams(jsm);
    for (const record of ["r1", "r2", "r3"]) {
      await jsm.jetstream().publish(deliverySubject("healthy", "crm"), record);
    }
    const reader = await addDeliveryConsumer(jsm, "healthy");
    expect((await reader.next({ expires: 1_000 }))?.string()).toBe("r1"); // held, not acknowledged

    expect(await lookForPassedBy(jsm, "healthy")).toBe(0);
  });

  it("tells nothing while the consumer is missing (being created again)", async () => {
    await ensureHookswitchStreams(jsm);
    await jsm.jetstream().publish(deliverySubject("missing", "crm"), "r1");

    expect(await lookForPassedBy(jsm, "missing")).toBeUndefined();
  });

  it(`${old ? "finds" : "finds none of"} the retry left behind once the consumer is created again`, async () => {
    await leaveOneRetryBehind(jsm, "faulty", "crm", "left");
    const reader = await addDeliveryConsumer(jsm, "faulty");
    const read = [];
    for await (const msg of await reader.fetch({ max_messages: 3, expires: 1_000 })) {
      read.push(msg.string()); // held, not acknowledged
    }

    expect(read).toEqual(old ? [] : ["left"]);
    expect(await lookForPassedBy(jsm, "faulty")).toBe(old ? 1 : 0);
  });
});
