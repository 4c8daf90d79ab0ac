/**
 * How deep a YAML document nests, measured on the parser's syntax tree before the composer
 * reads it. The composer recurses once per level: far enough down it runs out of stack, and
 * on Node.js 20 a second such file in the same process (the next resync, a second file given
 * to `validate`) ended it with a fatal out-of-memory error (`- - - … x` on one line nests a
 * level per two bytes). The tree is walked here without recursion; two kinds of input are
 * looked for in the text first: brackets, on which the tree's builder spends seconds, and a
 * long run of `- ` or `? `, whose tree cannot be built without running out of stack.
 */
import type { CST } from "yaml";

/** Deeper nesting (block and flow together) than any integration needs. */
export const MAX_NESTING = 64;

export const NESTED_TOO_DEEP = `YAML is nested more than ${MAX_NESTING} levels deep; an integration needs far fewer`;

/** Where a collection deeper than `MAX_NESTING` starts (one of them), or undefined when none is. */
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

/**
 * Where a line's leading run of `- ` or `? ` indicators goes past `MAX_NESTING`: each opens a
 * level, two bytes apiece, and the syntax tree's builder itself recurses to close such a
 * run (out of stack at a few thousand), so this is looked for before it runs.
 */
export function indicatorRunBeyondLimit(text: string): number | undefined {
  let depth = 0;
  let atLineStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\n") [depth, atLineStart] = [0, true];
    else if (c === " " || c === "\t") continue;
    else if (atLineStart && (c === "-" || c === "?") && /[ \t\n]/.test(text[i + 1] ?? "\n")) {
      if (++depth > MAX_NESTING) return i;
    } else atLineStart = false;
  }
  return undefined;
}

/**
 * Where `[`/`{` brackets nest past `MAX_NESTING`, found by a cheap scan before the parser spends
 * seconds on them. Quotes and comments are skipped roughly; it only needs to be right for
 * input far from a real integration file.
 */
export function flowNestingBeyondLimit(text: string): number | undefined {
  let depth = 0;
  let quote = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "\n") {
      quote = "";
      // A top-level key starts afresh: a stray quote above cannot add up to a false alarm.
      if (/[A-Za-z-]/.test(text[i + 1] ?? "")) depth = 0;
      continue;
    }
    if (quote) {
      if (ch === quote) quote = "";
      continue;
    }
    if (ch === '"' || ch === "'" || (ch === "#" && /\s/.test(text[i - 1] ?? " "))) quote = ch;
    else if (ch === "[" || ch === "{") {
      if (++depth > MAX_NESTING) return i;
    } else if ((ch === "]" || ch === "}") && depth > 0) depth--;
  }
  return undefined;
}
