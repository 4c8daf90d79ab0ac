/**
 * An alias written inside the value its own anchor names (`webhook: &w {fields: {a: *w}}`):
 * the value would hold itself without end. Said at the alias, before the data is read,
 * where the expansion guard would only say that the document grows past the size limit.
 */
import { visit, type Document } from "yaml";

export function selfAlias(doc: Document): { offset: number; message: string } | undefined {
  let found: { offset: number; message: string } | undefined;
  visit(doc, {
    Alias(_, node, path) {
      const target = node.resolve(doc);
      if (target === undefined || !path.includes(target)) return undefined;
      found = {
        offset: node.range?.[0] ?? 0,
        message:
          `alias *${node.source} is inside the value its anchor &${node.source} names, so that ` +
          "value would hold itself without end: write the value out here instead",
      };
      return visit.BREAK;
    },
  });
  return found;
}
