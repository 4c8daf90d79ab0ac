/**
 * A key that is a mapping or a list (`? password: S3cret` makes `{password: S3cret}` a key,
 * as does `{[a]: b}`): an integration's keys are text, and the parser would turn such a key
 * into text that holds its values, which the unknown-key message would then repeat. Said at
 * the key, without its text.
 */
import { isCollection, isMap, isNode, visit, type Document } from "yaml";

export const COLLECTION_KEY =
  'YAML: this key is a mapping or a list, and an integration\'s keys are text: remove the "? " before it, or write the key as text';

/** Where the first key that is a mapping or a list starts. */
export function collectionKeyOffset(doc: Document): number | undefined {
  let offset: number | undefined;
  visit(doc, {
    Pair(_, pair) {
      if (!isCollection(pair.key)) return undefined;
      // A block mapping's range starts at its first ":"; its first key is where it is written.
      const first = isMap(pair.key) ? pair.key.items[0]?.key : undefined;
      offset = (isNode(first) ? first.range?.[0] : undefined) ?? pair.key.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  return offset;
}
