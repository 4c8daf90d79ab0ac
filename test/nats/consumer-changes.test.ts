import type { ConsumerConfig } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { consumerDrift, filterDiffers, updatableChanges } from "../../src/nats/consumer-changes.js";

const SECOND = 1e9;

/** A consumer as NATS shows it, with only what a case sets. */
const shown = (config: Partial<ConsumerConfig>) =>
  ({ durable_name: "hookswitch", ...config }) as ConsumerConfig;

describe("consumerDrift: the fields of a consumer not as hookswitch sets them", () => {
  it.each<[string, Partial<ConsumerConfig>, Partial<ConsumerConfig>, unknown[]]>([
    ["none when all are as set", { ack_wait: 30 * SECOND }, { ack_wait: 30 * SECOND }, []],
    [
      "an ack wait changed",
      { ack_wait: 2 * SECOND },
      { ack_wait: 30 * SECOND },
      [{ field: "ack_wait", from: 2 * SECOND, to: 30 * SECOND }],
    ],
    [
      "a description edited",
      { description: "edited by hand" },
      { description: "hookswitch events" },
      [{ field: "description", from: "edited by hand", to: "hookswitch events" }],
    ],
    [
      "none for a field hookswitch leaves as it finds it",
      { max_deliver: 5 },
      { ack_wait: 30 * SECOND, max_deliver: undefined },
      [{ field: "ack_wait", from: undefined, to: 30 * SECOND }],
    ],
    [
      "none for the same subjects in another list",
      { filter_subjects: ["pbx.a", "pbx.b"] },
      { filter_subjects: ["pbx.a", "pbx.b"] },
      [],
    ],
    [
      "other subjects",
      { filter_subjects: ["pbx.a"] },
      { filter_subjects: ["pbx.a", "pbx.b"] },
      [{ field: "filter_subjects", from: ["pbx.a"], to: ["pbx.a", "pbx.b"] }],
    ],
    [
      "a filter an operator added where hookswitch sets none",
      { filter_subject: "pbx.a" },
      {},
      [{ field: "filter_subject", from: "pbx.a", to: undefined }],
    ],
    [
      "one filter where hookswitch sets several: the list, and no dropped filter besides",
      { filter_subject: "pbx.a" },
      { filter_subjects: ["pbx.a", "pbx.b"] },
      [{ field: "filter_subjects", from: undefined, to: ["pbx.a", "pbx.b"] }],
    ],
    [
      "a limit on pull requests where NATS shows none as 0",
      { max_batch: 10 },
      { max_batch: 0 },
      [{ field: "max_batch", from: 10, to: 0 }],
    ],
    [
      "no limit, shown absent, where none is wanted",
      {},
      { max_batch: 0, max_expires: 0, max_bytes: 0, headers_only: false, inactive_threshold: 0 },
      [],
    ],
  ])("%s", (_title, current, wanted, drift) => {
    expect(consumerDrift(shown(current), wanted)).toEqual(drift);
  });
});

describe("consumerDrift of each field an update may change", () => {
  it.each<[keyof ConsumerConfig, unknown, unknown]>([
    ["max_deliver", 3, -1],
    ["max_ack_pending", 10, 1000],
    ["max_expires", 5 * SECOND, 0],
    ["max_bytes", 1024, 0],
    ["headers_only", true, false],
    ["inactive_threshold", 60 * SECOND, 0],
  ])("%s: %j where hookswitch sets %j", (field, from, to) => {
    expect(consumerDrift(shown({ [field]: from }), { [field]: to })).toEqual([{ field, from, to }]);
  });
});

describe("filterDiffers and updatableChanges: a new filter is a new consumer, the rest an update", () => {
  const current = shown({ filter_subject: "pbx.a", ack_wait: 2 * SECOND });
  const wanted = { filter_subject: "pbx.>", ack_wait: 30 * SECOND };

  it("says the filter differs, and leaves it out of the update", () => {
    expect(filterDiffers(current, wanted)).toBe(true);
    expect(updatableChanges(current, wanted)).toEqual({ ack_wait: 30 * SECOND });
  });

  it("says the filter is the same when only other fields differ", () => {
    expect(filterDiffers(current, { ...wanted, filter_subject: "pbx.a" })).toBe(false);
  });
});
