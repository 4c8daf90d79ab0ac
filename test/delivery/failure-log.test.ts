import { describe, expect, it } from "vitest";
import { FailureLog } from "../../src/delivery/failure-log.js";

type Step = [at: number, what: "fail" | "ok", name: string, line: string | undefined];

const WARN = (name: string, extra = "") =>
  `webhooks to ${name} are failing (HTTP 500${extra}); logged again once one is delivered`;
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
