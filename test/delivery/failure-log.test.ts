import { describe, expect, it } from "vitest";
import { FailureLog } from "../../src/delivery/failure-log.js";

type Step = [at: number, what: "fail" | "ok", name: string, line: string | undefined];

const WARN = (name: string, extra = "") =>
  `webhooks to ${name} are failing (HTTP 500${extra}); warned of again at most once a minute while they fail, and said once one is delivered`;
const AGAIN = (name: string) => `webhooks to ${name} are delivered again`;

describe("FailureLog: what to tell an operator, with a 60 s interval", () => {
  it.each<[string, Step[]]>([
    [
      "a receiver that goes down and comes back",
      [
        [0, "fail", "crm", WARN("crm")],
        [1_000, "fail", "crm", undefined],
        [2_000, "ok", "crm", AGAIN("crm")],
        [3_000, "ok", "crm", undefined],
      ],
    ],
    [
      "one that stays down: a warning a minute, counting the failures between",
      [
        [0, "fail", "crm", WARN("crm")],
        [10_000, "fail", "crm", undefined],
        [20_000, "fail", "crm", undefined],
        [60_000, "fail", "crm", WARN("crm", "; 2 more since the last warning")],
        [61_000, "ok", "crm", AGAIN("crm")],
      ],
    ],
    [
      "one that fails now and then: at most two lines a minute",
      [
        [0, "fail", "crm", WARN("crm")],
        [100, "ok", "crm", AGAIN("crm")],
        [200, "fail", "crm", undefined],
        [300, "ok", "crm", undefined],
        [400, "fail", "crm", undefined],
        [500, "ok", "crm", undefined],
        [60_000, "fail", "crm", WARN("crm", "; 2 more since the last warning")],
        [60_100, "ok", "crm", AGAIN("crm")],
      ],
    ],
    [
      "integrations apart from each other",
      [
        [0, "fail", "crm", WARN("crm")],
        [1, "fail", "billing", WARN("billing")],
        [2, "ok", "billing", AGAIN("billing")],
        [3, "ok", "tickets", undefined],
        [4, "ok", "crm", AGAIN("crm")],
      ],
    ],
  ])("%s", (_name, steps) => {
    const log = new FailureLog(60_000);
    for (const [at, what, name, line] of steps) {
      const said = what === "fail" ? log.failed(name, at, () => "HTTP 500") : log.delivered(name);
      expect([at, said]).toEqual([at, line]);
    }
  });
});

describe("FailureLog: forgetting a removed integration", () => {
  const fail = (log: FailureLog, name: string, at: number) =>
    log.failed(name, at, () => "HTTP 500");

  it("drops what it kept of that integration, and keeps the others' pace", () => {
    const log = new FailureLog(60_000);
    fail(log, "gone", 0);
    fail(log, "crm", 0);
    expect(log.size).toBe(2);
    log.forget("gone");
    log.forget("never-seen");
    expect(log.size).toBe(1);
    expect(fail(log, "crm", 1_000)).toBeUndefined(); // still within crm's interval
    expect(log.delivered("crm")).toBe(AGAIN("crm"));
  });

  it("starts afresh for a name used again: a first warning, no line for an old one", () => {
    const log = new FailureLog(60_000);
    fail(log, "again", 0);
    fail(log, "again", 1);
    log.forget("again");
    expect(log.delivered("again")).toBeUndefined();
    expect(fail(log, "again", 2)).toBe(WARN("again"));
    expect(log.delivered("again")).toBe(AGAIN("again"));
  });
});
