/**
 * How large a document's data is once its aliases are expanded, measured without expanding
 * them: the guard against a YAML bomb that stays under the alias count limit (99 aliases of
 * a 1 MB anchor are 99 MB of data, which every request of the integration would then carry).
 */

/**
 * Whether the data, written out with every alias replaced by what it stands for, would be
 * larger than `limit`. An alias is the very object or string of its anchor in the data, so
 * the walk meets it once per reference; it counts as it goes and stops as soon as it passes
 * the limit, after at most about `limit` steps, and never builds the expanded text.
 *
 * The measure: each value below the top counts 1, a string also its length, a mapping key
 * its length. That is never more than the text the same data takes without aliases (every
 * value takes a character or a separator, a string at least its characters, a key its
 * characters and a colon), so a document written out in a file within the size limit
 * measures within it too: only aliases can take a document past it.
 */
export function expandsBeyond(data: unknown, limit: number): boolean {
  let size = 0;
  const pending: unknown[] = [data];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === "string") size += value.length;
    else if (Array.isArray(value)) {
      size += value.length;
      if (size > limit) return true;
      for (const item of value) pending.push(item);
    } else if (isPlainObject(value)) {
      for (const key of Object.keys(value)) {
        size += key.length + 1;
        if (size > limit) return true;
        pending.push(value[key]);
      }
    }
    if (size > limit) return true;
  }
  return false;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
