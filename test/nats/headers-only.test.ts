import type { JetStreamManager } from "@nats-io/jetstream";
import { headers } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { headersOnlyHandBack, isHeadersOnly, storedWithBody } from "../../src/nats/headers-only.js";
import { capturingLogger } from "../support/logs.js";
import { useNatsWithClient } from "../support/nats-server.js";

const sized = (size: string) => {
  const h = headers();
  h.set("Nats-Msg-Size", size);
  return h;
};
const other = () => {
  const h = headers();
  h.set("Nats-Sequence", "1");
  return h;
};

describe("isHeadersOnly: a message sent without its body", () => {
  it.each<[string, Uint8Array, { headers?: ReturnType<typeof headers> }, boolean]>([
    ["an empty body with Nats-Msg-Size", new Uint8Array(0), { headers: sized("120") }, true],
    ["a body beside Nats-Msg-Size", new Uint8Array(3), { headers: sized("3") }, false],
    ["an empty body with other headers", new Uint8Array(0), { headers: other() }, false],
    ["an empty body with no headers", new Uint8Array(0), {}, false],
  ])("takes %s for one: %s", (_what, data, msg, expected) => {
    expect(isHeadersOnly(data, msg)).toBe(expected);
  });
});

describe("headersOnlyHandBack", () => {
  it("hands each message back for 5 s, warning once per consumer and then at debug", () => {
    const { log, lines } = capturingLogger("debug");
    const handBack = headersOnlyHandBack(log);
    const settles = [handBack("hookswitch", 1), handBack("hookswitch", 2), handBack("other", 7)];
    expect(settles).toEqual(Array(3).fill({ action: "nak", delayMs: 5_000 }));
    expect(lines.map((l) => [l.level, l.consumer, l.seq])).toEqual([
      ["warn", "hookswitch", 1],
      ["debug", "hookswitch", 2],
      ["warn", "other", 7],
    ]);
    expect(lines[0]?.msg).toBe(
      "consumer hookswitch sends messages without their bodies (headers_only is set on it): " +
        "each is handed back, to come again whole once headers_only is unset (hookswitch " +
        "unsets it within 5 s on its event and delivery consumers, on others when it next " +
        "sets them up); unset it if something sets it again",
    );
  });
});

let jsm: JetStreamManager;

useNatsWithClient("headers-only-test", async (started) => {
  ({ jsm } = started);
  await jsm.streams.add({ name: "BODIES", subjects: ["bodies.>"] });
  const js = jsm.jetstream();
  await js.publish("bodies.full", "{}");
  await js.publish("bodies.empty", new Uint8Array(0));
});

describe("storedWithBody: whether the stream holds a body for a message", () => {
  it.each<[string, string, number, boolean]>([
    ["a message published with a body", "BODIES", 1, true],
    ["a message published empty", "BODIES", 2, false],
    // Cannot be told: handed back and delayed, never dead-lettered as invalid.
    ["a message the stream no longer holds", "BODIES", 99, true],
    ["a stream that is gone", "GONE", 1, true],
  ])("says %s: %s", async (_what, stream, seq, expected) => {
    await expect(storedWithBody(jsm)(stream, seq)).resolves.toBe(expected);
  });
});
