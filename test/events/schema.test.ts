import { readFileSync } from "node:fs";
import type { ErrorObject } from "ajv";
import { describe, expect, it } from "vitest";
import {
  DESCRIBED_ERRORS,
  describeSchemaErrors,
  everyErrorValidator,
  validatePbxEvent,
} from "../../src/events/schema.js";

const findEveryError = everyErrorValidator();

const fixture = JSON.parse(
  readFileSync(new URL("../fixtures/events/user-created.json", import.meta.url), "utf8"),
) as { data: { user: Record<string, unknown> } };

/**
 * The validator's errors for the example event of docs/publishers.md (the fixture
 * user-created.json) with `count` numbers as its call types.
 */
function errorsOfNumericCalls(count: number): ErrorObject[] {
  const event = structuredClone(fixture);
  event.data.user.enabledCalls = Array.from({ length: count }, () => 0);
  expect(findEveryError(event)).toBe(false);
  return [...(findEveryError.errors ?? [])];
}

describe("the validators", () => {
  it("stop at the first error on the way every event takes, and find them all when asked", () => {
    const event = structuredClone(fixture);
    event.data.user.enabledCalls = [0, 1, 2];
    expect(validatePbxEvent(event)).toBe(false);
    expect(validatePbxEvent.errors).toHaveLength(1);
    expect(findEveryError(event)).toBe(false);
    expect(findEveryError.errors).toHaveLength(3);
    expect(validatePbxEvent(fixture)).toBe(true);
    expect(findEveryError(fixture)).toBe(true);
  });
});

describe("describeSchemaErrors", () => {
  it("shows five problems and counts the rest", () => {
    const reason = describeSchemaErrors(errorsOfNumericCalls(7));
    expect(reason).toBe(
      "data.user.enabledCalls[0] must be a string; data.user.enabledCalls[1] must be a string; " +
        "data.user.enabledCalls[2] must be a string; data.user.enabledCalls[3] must be a string; " +
        "data.user.enabledCalls[4] must be a string; and 2 more",
    );
  });

  it.each([
    [5, ""],
    [6, "; and 1 more"],
  ])("with %d problems, ends in %j", (count, end) => {
    const shown = Array.from(
      { length: 5 },
      (_, i) => `data.user.enabledCalls[${i}] must be a string`,
    );
    expect(describeSchemaErrors(errorsOfNumericCalls(count))).toBe(shown.join("; ") + end);
  });

  it("describes only the first errors of an event that has thousands, and counts the others", () => {
    // A hostile event has one error per wrong item: describing each blocked the event loop.
    let described = 0;
    const errors = errorsOfNumericCalls(20_000).map(
      (error) =>
        new Proxy(error, {
          get(target, key, receiver) {
            if (key === "keyword") described++;
            return Reflect.get(target, key, receiver) as unknown;
          },
        }),
    );
    const reason = describeSchemaErrors(errors);
    expect(reason).toMatch(/^data\.user\.enabledCalls\[0\] must be a string; .*; and 19995 more$/);
    expect(described).toBeLessThanOrEqual(DESCRIBED_ERRORS);
  });

  it.each([
    ["id", "id is missing"],
    ["data", "data is missing"],
  ])("names a top-level %s that is missing without a leading dot", (key, reason) => {
    const event: Record<string, unknown> = structuredClone(fixture);
    delete event[key];
    expect(findEveryError(event)).toBe(false);
    expect(describeSchemaErrors(findEveryError.errors)).toBe(reason);
  });

  it("says only that the event is invalid when there are no details", () => {
    expect(describeSchemaErrors([])).toBe("not a valid event");
    expect(describeSchemaErrors(null)).toBe("not a valid event");
  });
});
