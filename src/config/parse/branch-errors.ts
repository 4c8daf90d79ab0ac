/**
 * ajv's errors from the branches of a `oneOf` or `anyOf`, collapsed to the branch the
 * author meant, or to the one error of the `oneOf` itself (schema-errors.ts names its forms).
 */
import type { AjvError } from "./schema-errors.js";

export function collapseOneOf(errors: readonly AjvError[]): AjvError[] {
  let result = [...errors];
  // Inner alternatives come first in ajv's order, so an outer `oneOf` sees them collapsed.
  for (const oneOf of errors.filter((e) => e.keyword === "oneOf" || e.keyword === "anyOf")) {
    if (!result.includes(oneOf)) continue;
    const prefix = `${oneOf.schemaPath}/`;
    const branchErrors = result.filter(
      (e) => e.schemaPath.startsWith(prefix) && isAtOrBelow(e.instancePath, oneOf.instancePath),
    );
    result = result.filter((e) => e !== oneOf && !branchErrors.includes(e));
    // An error on the object itself or on its `type` already says what is wrong.
    const at = oneOf.instancePath;
    const explained = result.some((e) => e.instancePath === at || e.instancePath === `${at}/type`);
    if (explained) continue;
    const best = Array.isArray(oneOf.params.passingSchemas)
      ? undefined
      : bestBranch(oneOf, branchErrors);
    result.push(...(best ?? [oneOf]));
  }
  return result;
}

function isAtOrBelow(path: string, parent: string): boolean {
  return path === parent || path.startsWith(`${parent}/`);
}

/**
 * The only branch whose shape matches the data (its errors are not about type or kind):
 * the one with the fewest errors about the value itself (a missing or unknown key), then
 * with the fewest errors in all.
 */
function bestBranch(oneOf: AjvError, branchErrors: AjvError[]): AjvError[] | undefined {
  const byBranch = new Map<string, AjvError[]>();
  for (const error of branchErrors) {
    const branch = error.schemaPath.slice(oneOf.schemaPath.length + 1).split("/")[0] ?? "";
    byBranch.set(branch, [...(byBranch.get(branch) ?? []), error]);
  }
  const at = oneOf.instancePath;
  const ranked = [...byBranch.values()]
    .filter((errs) => !errs.some((e) => isDiscriminating(e, at)))
    .map((errs) => ({ errs, onValue: errs.filter((e) => e.instancePath === at).length }));
  const order = (a: (typeof ranked)[number], b: (typeof ranked)[number]) =>
    a.onValue - b.onValue || a.errs.length - b.errs.length;
  const [first, second] = ranked.sort(order);
  if (!first || (second && order(first, second) === 0)) return undefined;
  return first.errs;
}

/** An error that says the data is of another kind than this branch describes. */
function isDiscriminating(error: AjvError, at: string): boolean {
  const kindKeyword = ["type", "enum", "const"].includes(error.keyword);
  if (error.instancePath === at) return kindKeyword && error.propertyName === undefined;
  return error.keyword === "const" && error.instancePath === `${at}/type`;
}
