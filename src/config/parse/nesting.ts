/**
 * How deep a YAML document nests, measured on the parser's syntax tree before the composer
 * reads it. The composer recurses once per level: far enough down it runs out of stack, and
 * on Node.js 20 a second such file in the same process (the next resync, a second file given
 * to `validate`) ended it with a fatal out-of-memory error (`- - - … x` on one line nests a
 * level per two bytes). The tree itself is built and walked here without recursion.
 */
import type { CST } from "yaml";

/** Deeper nesting (block and flow together) than any integration needs. */
export const MAX_NESTING = 64;

export const NESTED_TOO_DEEP = `YAML is nested more than ${MAX_NESTING} levels deep; an integration needs far fewer`;

/** Where the first collection deeper than `MAX_NESTING` starts, or undefined when none is. */
export function offsetBeyondNesting(document: CST.Token): number | undefined {
  const pending: [CST.Token, number][] = [[document, 0]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [token, depth] = next;
    if (token.type === "document") {
      if (token.value) pending.push([token.value, depth]);
    } else if ("items" in token) {
      if (depth === MAX_NESTING) return token.offset;
      for (const item of token.items) {
        if ("key" in item && item.key) pending.push([item.key, depth + 1]);
        if (item.value) pending.push([item.value, depth + 1]);
      }
    }
  }
  return undefined;
}
