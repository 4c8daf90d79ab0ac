import { DeliverPolicy, type JetStreamManager } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { ensureJetStream } from "../../src/nats/setup.js";
import type { DeliverFrom, JetStreamNames } from "../../src/nats/settings.js";
import { useNatsWithClient } from "../support/nats-server.js";

let jsm: JetStreamManager;

useNatsWithClient("setup-test", (started) => ({ jsm } = started));

const MISSING_SINCE = Date.parse("2026-11-30T04:00:00.000Z");

function names(n: number, deliver: DeliverFrom, createStream: boolean): JetStreamNames {
  return {
    stream: `SETUP${n}`,
    subjects: [`setup${n}.>`],
    consumer: `setup${n}`,
    deliver,
    createStream,
    replicas: 1,
  };
}

describe("a consumer created at the first start", () => {
  it.each<[string, DeliverFrom, "created" | "existing", number | undefined, object]>([
    [
      "reads a stream it has just created from its first event",
      "new",
      "created",
      undefined,
      { deliver_policy: DeliverPolicy.All },
    ],
    [
      "reads an existing stream from now on, under --deliver new",
      "new",
      "existing",
      undefined,
      { deliver_policy: DeliverPolicy.New },
    ],
    [
      "reads a stream that appeared while it waited from when it was found missing, less a margin",
      "new",
      "existing",
      MISSING_SINCE,
      { deliver_policy: DeliverPolicy.StartTime, startsAt: MISSING_SINCE - 30_000 },
    ],
    [
      "reads all of an existing stream under --deliver all",
      "all",
      "existing",
      MISSING_SINCE,
      { deliver_policy: DeliverPolicy.All },
    ],
  ])("%s", async (_what, deliver, stream, missingSince, expected) => {
    const n = Math.floor(Math.random() * 1e9);
    const wanted = names(n, deliver, stream === "created");
    if (stream === "existing") {
      await jsm.streams.add({ name: wanted.stream, subjects: wanted.subjects });
    }
    await ensureJetStream(jsm, wanted, 30_000, { missingSince });
    const { config } = await jsm.consumers.info(wanted.stream, wanted.consumer);
    // The server writes the start time its own way: compare it as a time.
    const startsAt = config.opt_start_time ? Date.parse(config.opt_start_time) : undefined;
    expect({ deliver_policy: config.deliver_policy, startsAt }).toEqual({
      startsAt: undefined,
      ...expected,
    });
  });
});
