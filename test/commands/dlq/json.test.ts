import { describe, expect, it } from "vitest";
import { jsonArrayEnd, jsonArrayItem } from "../../../src/commands/dlq/json.js";

/** The array as `dlq list --json` writes it, a record at a time. */
const written = (records: unknown[]) =>
  records.map((record, i) => jsonArrayItem(record, i)).join("") + jsonArrayEnd(records.length);

describe("dlq list --json's array, written a record at a time", () => {
  it.each<[string, unknown[]]>([
    ["no records", []],
    ["one record", [{ id: 1, integration: "crm" }]],
    [
      "records holding nested values, empty ones and line breaks in strings",
      [
        { id: 1, event: { data: { name: "Ann\nLee", tags: ["a", "b"] } }, attempts: [] },
        { id: 2, event: "not JSON\r\n  indented", cut: {} },
        { id: 3, lastError: null, request: { headers: { "x-a": "1" }, body: "{\n}" } },
      ],
    ],
    ["values that are not objects", [1, "two", null, [3]]],
  ])("is JSON.stringify's text for %s", (_what, records) => {
    expect(written(records)).toBe(`${JSON.stringify(records, null, 2)}\n`);
    expect(JSON.parse(written(records))).toEqual(records);
  });
});
