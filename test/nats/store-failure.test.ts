import { JetStreamApiError } from "@nats-io/jetstream";
import { TimeoutError } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { NoStreamError } from "../../src/errors.js";
import { StoreFailedError } from "../../src/nats/store-failure.js";
import { JetStreamRefusalError, PublishError } from "../../src/nats/stored-publish.js";

const refusal = new JetStreamRefusalError("JetStream refused the message: insufficient resources");
const apiRefusal = new JetStreamApiError({
  code: 503,
  err_code: 10047,
  description: "insufficient resources",
});
const unanswered = new PublishError("no acknowledgement from JetStream within 5000 ms");

describe("a store failure", () => {
  it.each([
    ["a refusal in JetStream's acknowledgement", refusal, true],
    ["a refusal from the JetStream client", apiRefusal, true],
    ["a refusal wrapped in another error", new Error("publish", { cause: refusal }), true],
    ["an acknowledgement that never came", unanswered, false],
    ["a client timeout", new TimeoutError(), false],
    ["a missing stream", new NoStreamError("hookswitch.dlq.x", undefined), false],
  ])("is what NATS's %s becomes, naming the stream", (_what, cause, refused) => {
    const failure = StoreFailedError.of("HOOKSWITCH_DELIVERIES", cause);
    expect(failure).toBeInstanceOf(StoreFailedError);
    expect((failure as StoreFailedError).stream).toBe("HOOKSWITCH_DELIVERIES");
    expect((failure as StoreFailedError).message).toBe(
      `stream HOOKSWITCH_DELIVERIES did not store a record: ${cause.message}`,
    );
    expect((failure as StoreFailedError).refused).toBe(refused);
    expect((failure as StoreFailedError).cause).toBe(cause);
  });

  it.each([
    ["a bug", new TypeError("Cannot read properties of undefined")],
    ["something not an Error", "boom"],
  ])("is not what %s becomes: it is thrown as it was, stack and all", (_what, thrown) => {
    expect(StoreFailedError.of("HOOKSWITCH_DLQ", thrown)).toBe(thrown);
  });

  it.each([
    [
      refusal,
      /out of storage or the stream is full: free space on the NATS server, or raise the account's JetStream storage/,
    ],
    [unanswered, /NATS did not answer: see that it is reachable and not overloaded/],
  ])("tells the operator what to do and where to read more", (cause, advice) => {
    const failure = new StoreFailedError("HOOKSWITCH_DLQ", { cause });
    expect(failure.advice()).toMatch(advice);
    expect(failure.advice()).toMatch(/the operating guide, 'When JetStream cannot store'/);
  });
});
