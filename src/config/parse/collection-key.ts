/**
 * A key that is a mapping or a list (`? password: S3cret` makes `{password: S3cret}` a key,
 * as does `{[a]: b}`): an integration's keys are text, and the parser would turn such a key
 * into text that holds its values, which the unknown-key message would then repeat. Said at
 * the key, without its text.
 */
import { isCollection, isMap, isNode, visit, type Document } from "yaml";
import type { YamlHint } from "./yaml-messages.js";
import { lineStart, restOfLine } from "./lines.js";

const KEYS_ARE_TEXT = "and an integration's keys are text";

const COLLECTION_KEY = `YAML: this key is a mapping or a list, ${KEYS_ARE_TEXT}: remove the "? " before it, or write the key as text`;

/** `{name}: b`, `[a]: b`: brackets around a key make it a mapping or a list. */
const BRACKETED_KEY = `YAML: this key is in { } or [ ], which makes it a mapping or a list, ${KEYS_ARE_TEXT}: write the key without them, or in quotes`;

/** The first key that is a mapping or a list: where it starts, and what to write. */
export function collectionKeyProblem(doc: Document): YamlHint | undefined {
  let found: YamlHint | undefined;
  visit(doc, {
    Pair(_, pair) {
      if (!isCollection(pair.key)) return undefined;
      const { key } = pair;
      // A block mapping's range starts at its first ":"; its first key is where it is written.
      const first = isMap(key) && !key.flow ? key.items[0]?.key : undefined;
      const offset = (isNode(first) ? first.range?.[0] : undefined) ?? key.range?.[0] ?? 0;
      found = { offset, message: key.flow === true ? BRACKETED_KEY : COLLECTION_KEY };
      return visit.BREAK;
    },
  });
  return found;
}

/**
 * The same key after others of its block mapping, which the parser refuses with words of its
 * own ("Map comment with trailing content"): a line that starts with a bracketed key.
 */
export function bracketedKeyHint(offset: number, text: string): YamlHint | undefined {
  if (text.slice(lineStart(text, offset), offset).trim() !== "") return undefined;
  return /^(?:\{[^\n]*\}|\[[^\n]*\])[ \t]*:(?:[ \t]|$)/.test(restOfLine(text, offset))
    ? { offset, message: BRACKETED_KEY }
    : undefined;
}
