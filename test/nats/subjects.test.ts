import { describe, expect, it } from "vitest";
import { subjectCovers } from "../../src/nats/subjects.js";

describe("subjectCovers: a record's subject under a filter, as a whole-stream read keeps it", () => {
  it.each([
    ["hookswitch.dlq.hookswitch.crm", "hookswitch.dlq.hookswitch.crm", true],
    ["hookswitch.dlq.hookswitch.crm", "hookswitch.dlq.hookswitch.billing", false],
    ["hookswitch.dlq.hookswitch.crm", "hookswitch.dlq.hookswitch.crm.x", false],
    ["hookswitch.dlq.hookswitch.crm", "hookswitch.dlq.hookswitch", false],
    ["hookswitch.dlq.hookswitch.*", "hookswitch.dlq.hookswitch.crm", true],
    ["hookswitch.dlq.hookswitch.*", "hookswitch.dlq.other.crm", false],
    ["hookswitch.dlq.*", "hookswitch.dlq.crm", true],
    ["hookswitch.dlq.*", "hookswitch.dlq.hookswitch.crm", false],
    ["hookswitch.>", "hookswitch.dlq.hookswitch.crm", true],
    ["hookswitch.>", "hookswitch", false],
    ["*.dlq.>", "hookswitch.dlq.crm", true],
    [">", "anything.at.all", true],
  ])("%s takes %s: %s", (filter, subject, matched) => {
    expect(subjectCovers(filter, subject)).toBe(matched);
  });
});
