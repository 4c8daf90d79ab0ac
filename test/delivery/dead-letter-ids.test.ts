/**
 * Removing dead letters by id: a record already gone is no error, any other refusal of the
 * store is (a replayed dead letter left in the queue would be sent again by the next replay).
 */
import { jetstream, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { alreadyGone, deleteRecord } from "../../src/delivery/dead-letter-ids.js";
import { DEAD_LETTER_STREAM } from "../../src/nats/layout.js";
import { useNatsWithClient } from "../support/nats-server.js";

/** What a JetStream API error carries, as the client gives it. */
const apiError = (code: number, message: string) =>
  Object.assign(new Error(message), { name: "JetStreamApiError", code });

describe("alreadyGone", () => {
  it.each([
    ["no message found (10037)", apiError(10037, "no message found"), true],
    ["a sequence removed before (10043)", apiError(10043, "sequence 2 not found"), true],
    ["a sequence past the last, on 2.9 (10057)", apiError(10057, "stream store EOF"), true],
    ["a delete failed for no record (10057)", apiError(10057, "no message found"), true],
    ["a delete the store failed otherwise (10057)", apiError(10057, "write: no space left"), false],
    ["another API error", apiError(10077, "stream not found"), false],
    ["a timeout", Object.assign(new Error("TIMEOUT"), { name: "TimeoutError" }), false],
    ["no error object", undefined, false],
  ])("says %s is %s", (_what, err, gone) => {
    expect(alreadyGone(err)).toBe(gone);
  });
});

let jsm: JetStreamManager;
let nc: NatsConnection;
useNatsWithClient("dead-letter-ids-test", (started) => ({ jsm, nc } = started));

describe("deleteRecord, on a real stream", () => {
  it("removes a record, and reports one removed before or never stored as not removed", async () => {
    await jsm.streams.add({ name: DEAD_LETTER_STREAM, subjects: ["dl-test.>"] });
    const js = jetstream(nc);
    for (let i = 0; i < 3; i++) await js.publish("dl-test.crm", `{"n":${i}}`);

    expect(await deleteRecord(jsm, 2)).toBe(true);
    expect(await deleteRecord(jsm, 2)).toBe(false);
    expect(await deleteRecord(jsm, 99)).toBe(false);
    expect((await jsm.streams.info(DEAD_LETTER_STREAM)).state.messages).toBe(2);
  });
});
