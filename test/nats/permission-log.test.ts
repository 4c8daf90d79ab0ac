import { PermissionViolationError } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { createPermissionLog } from "../../src/nats/permission-log.js";
import { capturingLogger } from "../support/logs.js";

const refusal = (subject: string) =>
  PermissionViolationError.parse(`Permissions Violation for Publish to "${subject}"`)!;

describe("NATS's refusals in the log", () => {
  it("logs one line a minute per subject to allow, with how many came between", () => {
    const { log, lines } = capturingLogger();
    let now = 0;
    const logRefusal = createPermissionLog(log, undefined, () => now);
    // Every acknowledgement has a subject of its own; all need one permission.
    for (let seq = 1; seq <= 50; seq++)
      logRefusal(refusal(`$JS.ACK.PBX_EVENTS.hookswitch.1.${seq}.${seq}.0.0`));
    logRefusal(refusal("hookswitch.parked.hookswitch.slow"));
    now = 60_000;
    logRefusal(refusal("$JS.ACK.PBX_EVENTS.hookswitch.1.51.51.0.0"));
    expect(lines.map((l) => [l.level, l.subject, l.msg])).toEqual([
      [
        "error",
        "$JS.ACK.PBX_EVENTS.hookswitch.1.1.1.0.0",
        expect.stringMatching(/allow it to publish to \$JS\.ACK\.PBX_EVENTS\.hookswitch\.> in/),
      ],
      [
        "error",
        "hookswitch.parked.hookswitch.slow",
        expect.stringContaining("hookswitch.parked.hookswitch.>"),
      ],
      [
        "error",
        "$JS.ACK.PBX_EVENTS.hookswitch.1.51.51.0.0",
        expect.stringMatching(/ \(49 more refused like it since the last such line\)$/),
      ],
    ]);
  });

  it("counts every reply inbox refused as one kind, whatever its random token", () => {
    const { log, lines } = capturingLogger();
    const logRefusal = createPermissionLog(log, "_INBOX_hs", () => 0);
    for (let i = 0; i < 30; i++) {
      logRefusal(
        PermissionViolationError.parse(
          `Permissions Violation for Subscription to "_INBOX_hs.random${i}.*"`,
        )!,
      );
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]!.msg).toMatch(/allow it to subscribe to _INBOX_hs\.>$/);
  });

  it("says whether an error was a refusal, and leaves the others to the caller", () => {
    const { log, lines } = capturingLogger();
    const logRefusal = createPermissionLog(log, "_INBOX_hs");
    expect(logRefusal(new Error("stale connection"))).toBe(false);
    expect(logRefusal(refusal("a.b"))).toBe(true);
    expect(lines).toHaveLength(1);
  });

  it("keeps at most a hundred kinds apart, and logs no more kinds past them", () => {
    const { log, lines } = capturingLogger();
    const logRefusal = createPermissionLog(log, undefined, () => 0);
    for (let i = 0; i < 150; i++) logRefusal(refusal(`subject.${i}`));
    expect(lines).toHaveLength(100);
  });
});
