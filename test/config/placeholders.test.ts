import { describe, expect, it } from "vitest";
import { fillPlaceholders, isFieldName, placeholderNames } from "../../src/config/placeholders.js";
import { FIELD_NAMES } from "../../src/config/types.js";

describe("placeholders", () => {
  it.each([
    ["{name} {nope} {name}", ["name", "nope", "name"]],
    ["ext-{extensionNumber}", ["extensionNumber"]],
    ['{"json": true} {} {1x} { name }', []],
    ["{user_name}{_x}", ["user_name", "_x"]],
    ["{{name}}", ["name"]],
  ])("finds in %j the names %j, known fields or not", (text, names) => {
    expect(placeholderNames(text)).toEqual(names);
  });

  it("knows every field of the field values table (README.md) by its exact name, and nothing else", () => {
    for (const field of FIELD_NAMES) expect(isFieldName(field)).toBe(true);
    for (const other of ["Name", "extension", "toString", "__proto__", ""]) {
      expect(isFieldName(other)).toBe(false);
    }
  });

  it("fills the known fields and leaves unknown names as written", () => {
    expect(fillPlaceholders("{name}/{nope}/{account}", (field) => `<${field}>`)).toBe(
      "<name>/{nope}/<account>",
    );
  });
});
