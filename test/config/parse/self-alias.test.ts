/**
 * An alias inside the value its own anchor names is found at the alias, before the data is
 * read; aliases of values written elsewhere are not.
 */
import { parseDocument } from "yaml";
import { describe, expect, it } from "vitest";
import { selfAlias } from "../../../src/config/parse/self-alias.js";

const holdsItself = (name: string) =>
  `alias *${name} is inside the value its anchor &${name} names, so that value would hold itself without end: write the value out here instead`;

describe("selfAlias", () => {
  it.each<[string, string, string | undefined]>([
    ["in a list of its own", "a: &x [*x]\n", "*x"],
    ["in a mapping below it", "webhook: &w\n  fields: {a: *w}\n", "*w"],
    ["deeper down", "a: &x {b: [{c: *x}]}\n", "*x"],
    ["of an inner anchor", "a: &x {b: &y [1, *y]}\n", "*y"],
    ["of a value written before", "a: &x [1]\nb: [*x, *x]\n", undefined],
    ["of a value written above, beside it", "a: &x {b: 1}\nc: {d: *x}\n", undefined],
    ["of a scalar", "a: &x 1\nb: *x\n", undefined],
    ["of an anchor not defined", "a: [*x]\n", undefined],
  ])("finds an alias %s", (_what, text, alias) => {
    const found = selfAlias(parseDocument(text));
    if (alias === undefined) return expect(found).toBeUndefined();
    expect(found).toEqual({ offset: text.indexOf(alias), message: holdsItself(alias.slice(1)) });
  });
});
