import { describe, expect, it } from "vitest";
import { PermissionViolationError } from "@nats-io/transport-node";
import {
  permissionAdvice,
  refusedSubject,
  subjectToAllow,
} from "../../src/nats/permission-advice.js";

const DOCS = `in the NATS server's permissions (the operating guide lists every subject hookswitch uses, under "NATS permissions")`;

describe("the subject to allow for one NATS refused", () => {
  it.each([
    [
      "$JS.ACK.PBX_EVENTS.hookswitch.1.42.42.1733040000000000000.0",
      "$JS.ACK.PBX_EVENTS.hookswitch.>",
    ],
    [
      "$JS.API.CONSUMER.CREATE.HOOKSWITCH_DELIVERIES.hookswitch_slow.hookswitch.parked.hookswitch.slow",
      "$JS.API.CONSUMER.CREATE.HOOKSWITCH_DELIVERIES.*.hookswitch.parked.hookswitch.*",
    ],
    [
      "$JS.API.CONSUMER.CREATE.PBX_EVENTS.hookswitch",
      "$JS.API.CONSUMER.CREATE.PBX_EVENTS.hookswitch",
    ],
    ["hookswitch.parked.hookswitch.slow", "hookswitch.parked.hookswitch.>"],
    ["hookswitch.dlq.blue.crm", "hookswitch.dlq.blue.>"],
    [
      "$JS.API.CONSUMER.INFO.HOOKSWITCH_DELIVERIES.hookswitch_slow",
      "$JS.API.CONSUMER.INFO.HOOKSWITCH_DELIVERIES.*",
    ],
    [
      "$JS.API.CONSUMER.MSG.NEXT.HOOKSWITCH_DELIVERIES.hookswitch_slow",
      "$JS.API.CONSUMER.MSG.NEXT.HOOKSWITCH_DELIVERIES.*",
    ],
    [
      "$JS.API.CONSUMER.CREATE.HOOKSWITCH_DLQ.qIJJu2YeZHWn0aGV9oaBAv_1.hookswitch.dlq.hookswitch.*",
      "$JS.API.CONSUMER.CREATE.HOOKSWITCH_DLQ.>",
    ],
    [
      "$JS.API.CONSUMER.DELETE.HOOKSWITCH_DLQ.qIJJu2YeZHWn0aGV9oaBAv_1",
      "$JS.API.CONSUMER.DELETE.HOOKSWITCH_DLQ.*",
    ],
    ["$JS.ACK.HOOKSWITCH_DELIVERIES.hookswitch_slow.1.9.9.0.0", "$JS.ACK.HOOKSWITCH_DELIVERIES.>"],
    [
      "$JS.API.CONSUMER.MSG.NEXT.PBX_EVENTS.hookswitch",
      "$JS.API.CONSUMER.MSG.NEXT.PBX_EVENTS.hookswitch",
    ],
    // A consumer created with a filter: that consumer's creations with any filter.
    [
      "$JS.API.CONSUMER.CREATE.PBX_EVENTS.hookswitch.pbx.>",
      "$JS.API.CONSUMER.CREATE.PBX_EVENTS.hookswitch.>",
    ],
    [
      "$JS.API.CONSUMER.CREATE.HOOKSWITCH_DELIVERIES.hookswitch_retry.hookswitch.retry.>",
      "$JS.API.CONSUMER.CREATE.HOOKSWITCH_DELIVERIES.hookswitch_retry.>",
    ],
    // Near misses of each form: allowed as they are.
    [
      "$JS.API.CONSUMER.CREATE.HOOKSWITCH_DELIVERIES.hookswitch_slow",
      "$JS.API.CONSUMER.CREATE.HOOKSWITCH_DELIVERIES.hookswitch_slow",
    ],
    [
      "$JS.API.CONSUMER.UPDATE.HOOKSWITCH_DELIVERIES.c.hookswitch.parked.hookswitch.slow",
      "$JS.API.CONSUMER.UPDATE.HOOKSWITCH_DELIVERIES.*",
    ],
    ["$JS.API.STREAM.INFO.HOOKSWITCH_DLQ", "$JS.API.STREAM.INFO.HOOKSWITCH_DLQ"],
    ["$JS.X.CONSUMER.INFO.HOOKSWITCH_DLQ.c", "$JS.X.CONSUMER.INFO.HOOKSWITCH_DLQ.c"],
    ["$X.API.CONSUMER.INFO.HOOKSWITCH_DLQ.c", "$X.API.CONSUMER.INFO.HOOKSWITCH_DLQ.c"],
    ["$JS.ACK.PBX_EVENTS.hookswitch", "$JS.ACK.PBX_EVENTS.hookswitch"],
    ["$X.ACK.PBX_EVENTS.hookswitch.1.42.42.1.0", "$X.ACK.PBX_EVENTS.hookswitch.1.42.42.1.0"],
    ["hookswitch.dlq.blue", "hookswitch.dlq.blue"],
    ["other.dlq.blue.crm", "other.dlq.blue.crm"],
    ["_INBOX.L7WYckgHES4sdqk4W5JwX3.*", "_INBOX.>"],
    ["$JS.API.INFO", "$JS.API.INFO"],
    ["$JS.API.STREAM.UPDATE.PBX_EVENTS", "$JS.API.STREAM.UPDATE.PBX_EVENTS"],
    ["pbx.acme.mycloudpbx.x.user.created", "pbx.acme.mycloudpbx.x.user.created"],
  ])("%s: %s", (subject, allow) => {
    expect(subjectToAllow(subject)).toBe(allow);
  });
});

describe("what an operator is told when NATS refuses a subject", () => {
  it.each([
    [
      { operation: "subscribe", subject: "_INBOX.abc.*" },
      undefined,
      "NATS refused this user the subscription to its replies (_INBOX.abc.*): allow it to subscribe to _INBOX.>, or set --inbox-prefix (NATS_INBOX_PREFIX) to the prefix its permissions allow replies under",
    ],
    [
      { operation: "subscribe", subject: "_INBOX_hs.abc.*" },
      "_INBOX_hs",
      "NATS refused this user the subscription to its replies (_INBOX_hs.abc.*): allow it to subscribe to _INBOX_hs.>",
    ],
    [
      {
        operation: "subscribe",
        subject: "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.PBX_EVENTS.hookswitch",
      },
      "_INBOX_hs",
      `NATS refused this user the subscription to $JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.PBX_EVENTS.hookswitch: allow it to subscribe to $JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.PBX_EVENTS.hookswitch ${DOCS}`,
    ],
    [
      { operation: "publish", subject: "hookswitch.parked.hookswitch.slow" },
      undefined,
      `NATS refused this user publishing to hookswitch.parked.hookswitch.slow: allow it to publish to hookswitch.parked.hookswitch.> ${DOCS}`,
    ],
  ] as const)("%j (inbox prefix %s)", (refused, prefix, advice) => {
    expect(permissionAdvice(refused, prefix)).toBe(advice);
  });

  it("reads the operation and subject from the client's error, wrapped or not", () => {
    const error = PermissionViolationError.parse(
      'Permissions Violation for Subscription to "_INBOX.abc.*"',
    )!;
    expect(refusedSubject(error)).toEqual({ operation: "subscribe", subject: "_INBOX.abc.*" });
    const wrapped = new Error("request failed", { cause: error });
    expect(refusedSubject(wrapped)).toEqual({ operation: "subscribe", subject: "_INBOX.abc.*" });
    const publish = PermissionViolationError.parse('Permissions Violation for Publish to "a.b"')!;
    expect(refusedSubject(publish)).toEqual({ operation: "publish", subject: "a.b" });
    expect(refusedSubject(new Error("timeout"))).toBeUndefined();
    // A subject on another error is no refusal.
    expect(refusedSubject(Object.assign(new Error("timeout"), { subject: "a.b" }))).toBeUndefined();
  });
});
