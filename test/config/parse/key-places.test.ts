import { describe, expect, it } from "vitest";
import { belongsElsewhere, placesOfKey } from "../../../src/config/parse/key-places.js";

describe("where a key of the integration schema belongs", () => {
  it.each<[string, string[], string]>([
    ["retry", [], ": it belongs under webhook"],
    ["maxAttempts", ["webhook"], ": it belongs under webhook.retry"],
    ["enabled", ["webhook"], ": it belongs at the top level"],
    ["account", ["trigger"], ": it belongs under scope"],
    ["token", ["webhook"], ": it belongs under webhook.auth"],
    ["ca", [], ": it belongs under webhook.tls"],
    // Known here already, or nowhere: nothing to say.
    ["url", ["webhook"], ""],
    ["maxAttempts", ["webhook", "retry"], ""],
    ["colour", [], ""],
  ])("%s written under %j: %j", (key, path, expected) => {
    expect(belongsElsewhere(key, path)).toBe(expected);
  });

  it("reads the places from the schema, the nested ones included", () => {
    expect(placesOfKey("initialDelay")).toEqual(["webhook.retry"]);
    expect(placesOfKey("name")).toEqual([""]);
  });
});
