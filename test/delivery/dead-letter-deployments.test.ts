/**
 * Two deployments (`--consumer hookswitch` and `--consumer gitsync`) on one NATS, each with an
 * integration named crm: each one's dead-letter store sees its own records and those stored
 * before dead letters were namespaced, never the other's.
 */
import { jetstream, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { beforeEach, describe, expect, it } from "vitest";
import { createDeadLetterStore, type DeadLetterStore } from "../../src/delivery/dead-letters.js";
import { type DeadLetterRecord } from "../../src/delivery/records.js";
import { DEAD_LETTER_STREAM, oldDeadLetterSubject } from "../../src/nats/layout.js";
import { ensureHookswitchStreams } from "../../src/nats/streams.js";
import { useNatsWithClient } from "../support/nats-server.js";
import { deadLetter, getAll, listAll } from "../support/dead-letters.js";

let nc: NatsConnection;
let jsm: JetStreamManager;
let ours: DeadLetterStore;
let theirs: DeadLetterStore;

useNatsWithClient("dlq-deployments-test", async (started) => {
  ({ nc, jsm } = started);
  await ensureHookswitchStreams(jsm);
  ours = createDeadLetterStore(jetstream(nc), jsm, {
    consumer: "hookswitch",
    serverVersion: nc.info?.version,
  });
  theirs = createDeadLetterStore(jetstream(nc), jsm, {
    consumer: "gitsync",
    serverVersion: nc.info?.version,
  });
});

beforeEach(async () => {
  await jsm.streams.purge(DEAD_LETTER_STREAM);
});

/** A record as a version before namespacing stored it, on `hookswitch.dlq.<integration>`. */
async function addOld(record: DeadLetterRecord): Promise<number> {
  const subject = oldDeadLetterSubject(record.integration);
  return (await jetstream(nc).publish(subject, JSON.stringify(record))).seq;
}

/** One record of each deployment for crm and for billing, and one of the old layout, interleaved. */
async function fill() {
  return {
    ourCrm: await ours.add(deadLetter("crm")),
    theirCrm: await theirs.add(deadLetter("crm")),
    oldCrm: await addOld(deadLetter("crm")),
    ourBilling: await ours.add(deadLetter("billing")),
    theirInvalid: await theirs.add(deadLetter(null)),
    oldInvalid: await addOld(deadLetter(null)),
  };
}

const ids = async (store: DeadLetterStore, filter?: { integration?: string }) =>
  (await listAll(store, filter)).map((r) => r.id);

describe("two deployments' dead-letter stores on one NATS", () => {
  it("each count their own records and the old layout's", async () => {
    await fill();
    expect(await ours.count()).toBe(4);
    expect(await theirs.count()).toBe(4);
  });

  it("each list their own and the old layout's, oldest first", async () => {
    const r = await fill();
    expect(await ids(ours)).toEqual([r.ourCrm, r.oldCrm, r.ourBilling, r.oldInvalid]);
    expect(await ids(theirs)).toEqual([r.theirCrm, r.oldCrm, r.theirInvalid, r.oldInvalid]);
    expect(await ids(ours, { integration: "crm" })).toEqual([r.ourCrm, r.oldCrm]);
    expect(await ids(theirs, { integration: "crm" })).toEqual([r.theirCrm, r.oldCrm]);
    expect(await ids(theirs, { integration: "_invalid" })).toEqual([r.theirInvalid, r.oldInvalid]);
  });

  it("each read by id only their own and the old layout's, and name the other's owner", async () => {
    const r = await fill();
    const asked = [r.ourCrm, r.theirCrm, r.oldCrm, 9_999];
    expect((await getAll(ours, asked)).map((x) => x.id)).toEqual([r.ourCrm, r.oldCrm]);
    expect(await ours.othersOf(asked)).toEqual(new Map([[r.theirCrm, "gitsync"]]));
    expect(await theirs.othersOf(asked)).toEqual(new Map([[r.ourCrm, "hookswitch"]]));
  });

  it("each purge one integration of their own and the old layout's only", async () => {
    const r = await fill();
    expect(await ours.purge({ integration: "crm" })).toBe(2);
    expect(await ids(theirs)).toEqual([r.theirCrm, r.theirInvalid, r.oldInvalid]);
    expect(await ids(ours)).toEqual([r.ourBilling, r.oldInvalid]);
  });

  it("each purge all of their own and the old layout's, never the other's", async () => {
    const r = await fill();
    expect(await theirs.purge({ all: true })).toBe(4);
    expect(await ids(theirs)).toEqual([]);
    expect(await ids(ours)).toEqual([r.ourCrm, r.ourBilling]);
  });

  it("say they hold deliveries only for their own records or the old layout's", async () => {
    await theirs.add(deadLetter("crm"));
    await ours.add(deadLetter(null));
    expect(await ours.holdsDeliveries()).toBe(false);
    expect(await ours.holdsDeliveries({ integration: "crm" })).toBe(false);
    await addOld(deadLetter("crm"));
    expect(await ours.holdsDeliveries({ integration: "crm" })).toBe(true);
  });

  it("each keep their dead letter of one invalid event, under the same message id", async () => {
    const record = deadLetter(null);
    await ours.keep(record, { msgId: "dlq:invalid:PBX_EVENTS:1:1" });
    await theirs.keep(record, { msgId: "dlq:invalid:PBX_EVENTS:1:1" });
    expect([await ours.count(), await theirs.count()]).toEqual([1, 1]);
    expect((await jsm.streams.info(DEAD_LETTER_STREAM)).state.messages).toBe(2);
  });

  it("list a deployment's records merged with many old ones in order, a few fetched at a time", async () => {
    // 4 MiB messages: one fetch holds two records, one per reader.
    const small = createDeadLetterStore(jetstream(nc), jsm, {
      consumer: "hookswitch",
      maxPayload: () => 4 * 1024 * 1024,
    });
    const expected: number[] = [];
    for (let i = 0; i < 30; i++) {
      const record = deadLetter("crm");
      expected.push(i % 3 === 0 ? await addOld(record) : await small.add(record));
      if (i % 5 === 0) await theirs.add(deadLetter("crm"));
    }
    expect(await ids(small)).toEqual(expected);
    // A listing left part way removes both readers' consumers.
    for await (const first of small.read()) {
      expect(first.id).toBe(expected[0]);
      break;
    }
    const { state } = await jsm.streams.info(DEAD_LETTER_STREAM);
    expect(state.consumer_count).toBe(0);
  });
});
