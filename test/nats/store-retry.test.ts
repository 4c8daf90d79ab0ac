import { describe, expect, it } from "vitest";
import { NoStreamError } from "../../src/errors.js";
import { storeRetried } from "../../src/nats/store-retry.js";
import { StoreFailedError } from "../../src/nats/store-failure.js";
import { PublishError } from "../../src/nats/stored-publish.js";

const STREAM = "HOOKSWITCH_DLQ";
const unanswered = () => new PublishError("no acknowledgement from JetStream within 5000 ms");
const missingStream = () => new NoStreamError("hookswitch.dlq.x", STREAM);

/** A publish that throws `failures` errors made by `error`, then stores; counts its calls. */
function publishFailing(failures: number, error: () => Error) {
  const publish = () => {
    publish.calls++;
    return publish.calls <= failures ? Promise.reject(error()) : Promise.resolve();
  };
  publish.calls = 0;
  return publish;
}

/** What a store target was told. */
function told() {
  const events: string[] = [];
  const target = {
    stream: STREAM,
    missing: () => events.push("missing"),
    failed: (stream: string) => events.push(`failed ${stream}`),
  };
  return { events, target };
}

describe("storeRetried: a record JetStream did not store, tried again in process", () => {
  it("publishes once when the first try stores it", async () => {
    const publish = publishFailing(0, unanswered);
    const { events, target } = told();
    await storeRetried(publish, target);
    expect({ calls: publish.calls, events }).toEqual({ calls: 1, events: [] });
  });

  it("stores it on a later try when NATS is busy for a moment, telling no one", async () => {
    const publish = publishFailing(3, unanswered);
    const { events, target } = told();
    await storeRetried(publish, target);
    expect({ calls: publish.calls, events }).toEqual({ calls: 4, events: [] });
  });

  it("gives up after four tries with a StoreFailedError naming the stream, told once", async () => {
    const publish = publishFailing(Infinity, unanswered);
    const { events, target } = told();
    const error = await storeRetried(publish, target).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(StoreFailedError);
    expect((error as StoreFailedError).stream).toBe(STREAM);
    expect({ calls: publish.calls, events }).toEqual({ calls: 4, events: [`failed ${STREAM}`] });
  });

  it("has a missing stream set up again, once, and waits for it past four tries", async () => {
    const publish = publishFailing(4, missingStream);
    const { events, target } = told();
    await storeRetried(publish, target);
    expect({ calls: publish.calls, events }).toEqual({ calls: 5, events: ["missing"] });
  });

  it("tries a missing stream briefly like any failure when no one can set it up", async () => {
    const publish = publishFailing(Infinity, missingStream);
    const error = await storeRetried(publish, { stream: STREAM }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(StoreFailedError);
    expect(publish.calls).toBe(4);
  });

  it("rethrows a failure NATS did not cause (a bug) as it was, and tells no one of it", async () => {
    const bug = new TypeError("cannot read properties of undefined");
    const publish = publishFailing(Infinity, () => bug);
    const { events, target } = told();
    await expect(storeRetried(publish, target)).rejects.toBe(bug);
    expect(events).toEqual([]);
  });
});
