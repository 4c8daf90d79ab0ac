/**
 * The positional YAML parser: every document of a file with the way back from a path in
 * its data to a line and column, and YAML's own problems worded for an integration file.
 * Apart from parse.ts, which tries a faster parser without positions first and comes
 * here only for text that needs this one or when a position must be reported; the words
 * for YAML's own errors are in yaml-messages.ts.
 */
import {
  Composer,
  type CST,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  Parser,
  visit,
  type Document,
  type YAMLError,
} from "yaml";
import { DEFAULTS } from "../types.js";
import { expandsBeyond } from "./expanded-size.js";
import { NESTED_TOO_DEEP, offsetBeyondNesting } from "./nesting.js";
import { selfAlias } from "./self-alias.js";
import { bracketedKeyHint, collectionKeyProblem } from "./collection-key.js";
import { blockInFlow, bracketInValue, leftOverText, openerAfterValue } from "./flow-messages.js";
import {
  misplacedMapping,
  quotingHint,
  slipMessage,
  unclosedQuote,
  unsupportedTag,
  type YamlHint,
} from "./yaml-messages.js";
import { afterDocumentEnd, badIndentHint, firstSlip, textBeforeKeys } from "./indent-messages.js";
import { markerHint } from "./marker-messages.js";
import type { Located, ParsedDocument, Position } from "./parse.js";
import type { PathSegment } from "../text.js";

/** More aliases than this in one document is treated as a resource exhaustion attack. */
const MAX_ALIAS_COUNT = 100;

/**
 * More documents than this in one file is refused, as a file over 1 MiB is: no valid file
 * of 1 MiB holds that many integrations (each takes well over 100 bytes), and a file of
 * nothing but `---` lines would otherwise hold up the loader for seconds.
 */
export const MAX_DOCUMENTS = 10_000;

/**
 * A document whose data, aliases written out, is larger than a file may be (expanded-size.ts):
 * a few aliases of a large anchor, under the alias limit, would otherwise make one file of
 * 1 MiB into a hundred MiB of data and of request body for each event. No file needs
 * aliases to say more than it could write out.
 */
const EXPANDS_TOO_FAR =
  "aliases expand this document to more than 1 MiB: write the values out, or use fewer aliases";

/**
 * Keys are compared as the text they become: `1` and `"1"` (or `true` and `"true"`) are one
 * key once the document is data, and the later would silently replace the earlier.
 */
function sameKeyText(a: unknown, b: unknown): boolean {
  return a === b || dataKey(a) === dataKey(b);
}

/** A key as the data names it: `~`, `null` and a key left out are all "" once read. */
function dataKey(key: unknown): unknown {
  // A core-schema scalar's value is text, a number, a boolean or null (read as "").
  if (isScalar<string | number | boolean | null>(key)) return String(key.value ?? "");
  return key ?? "";
}

/** Keys read as "": written empty, `~` or `null` (any case), or left out. */
const EMPTY_KEY = /^(?:|""|''|~|null)$/i;

/** Keys YAML reads as a number, a boolean or null when they are not quoted. */
const NOT_TEXT_UNQUOTED = /^(?:[-+]?(?:\d[\d.]*|\.\d+)(?:e[-+]?\d+)?|true|false|null|~)$/i;

/**
 * YAML 1.2's core schema and nothing else, as the fast path (parse.ts) and editors reading the
 * JSON Schema take it: without these, `%YAML 1.1` would make `enabled: no` false and `n:` a
 * key `false`, and `!!omap` or `!!set` would make values that are not JSON data (a Map that
 * the schema took for an empty mapping, so `fields: !!omap` sent no fields).
 */
// `logLevel: "error"`: the library's own warnings (a mapping used as a key, `{{name}}`) went
// to stderr as text, outside the JSON log; the document's problems say what is wrong.
const COMPOSE_OPTIONS = {
  schema: "core",
  resolveKnownTags: false,
  logLevel: "error",
  uniqueKeys: sameKeyText,
} as const;

/** Parses every document with source positions (the `yaml` library). */
export function parseWithPositions(text: string): {
  documents: ParsedDocument[];
  problems: Located[];
} {
  const lineCounter = new LineCounter();
  try {
    // Documents one at a time (what `parseAllDocuments` does in one go), to stop at the limit.
    const parser = new Parser(lineCounter.addNewLine);
    const documents: ParsedDocument[] = [];
    let index = 0;
    for (const doc of new Composer(COMPOSE_OPTIONS).compose(nestingChecked(parser.parse(text)))) {
      if (index === MAX_DOCUMENTS) return { documents: [], problems: [tooMany(doc, lineCounter)] };
      const parsed = toParsedDocument(doc, index++, text, lineCounter);
      if (parsed) documents.push(parsed);
    }
    return { documents, problems: [] };
  } catch (err) {
    if (err instanceof NestingError) {
      const { line, col } = lineCounter.linePos(err.offset);
      return { documents: [], problems: [{ line, column: col, message: NESTED_TOO_DEEP }] };
    }
    return { documents: [], problems: [{ line: 1, column: 1, message: fatalMessage(err) }] };
  }
}

/** Thrown out of the composer's input: the file is refused as a whole, as when too long. */
class NestingError extends Error {
  override name = "NestingError";
  constructor(readonly offset: number) {
    super(NESTED_TOO_DEEP);
  }
}

/** The parser's documents, each refused before the composer recurses into it too deep. */
function* nestingChecked(tokens: Iterable<CST.Token>): Generator<CST.Token> {
  for (const token of tokens) {
    const offset = offsetBeyondNesting(token);
    if (offset !== undefined) throw new NestingError(offset);
    yield token;
  }
}

function tooMany(doc: Document.Parsed, lineCounter: LineCounter): Located {
  const { line, col } = lineCounter.linePos(doc.range[0]);
  return {
    line,
    column: col,
    message: `more than ${MAX_DOCUMENTS.toLocaleString("en")} YAML documents in one file; split it into smaller files`,
  };
}

function fatalMessage(err: unknown): string {
  if (err instanceof RangeError) return "YAML is nested too deeply to be an integration file";
  return `YAML cannot be read: ${firstLine(err instanceof Error ? err.message : String(err))}`;
}

/** The parser's words without its position, or the text it quotes (which may be a secret's). */
function firstLine(message: string): string {
  return (message.split("\n")[0] ?? message)
    .replace(/ at line \d+, column \d+:?$/, "")
    .replace(/( in YAML (?:stream|document)): ".*"$/, "$1");
}

function toParsedDocument(
  doc: Document.Parsed,
  index: number,
  text: string,
  lineCounter: LineCounter,
): ParsedDocument | undefined {
  const position = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const locate = (path: readonly PathSegment[], onKey = false) =>
    position(offsetOf(doc, path, onKey));
  const writtenAt = (path: readonly PathSegment[], onKey = false) => {
    const { node, reached, found } = nodeAt(doc, path, onKey);
    const scalar = onKey ? found : node;
    return reached && isScalar(scalar) && scalar.range
      ? text.slice(scalar.range[0], scalar.range[1])
      : undefined;
  };
  // One syntax error (firstSlip picks it): the others mostly repeat it (an unclosed bracket
  // in deeply nested input yields one per level). Duplicate keys are each a slip of their
  // own and leave the document readable, so all of them are said, and the data is read on
  // (the later value, as YAML libraries take it) for its other problems to be found too.
  const slips = [...doc.errors, ...doc.warnings];
  const onlyDuplicates = slips.length > 0 && slips.every((e) => e.code === "DUPLICATE_KEY");
  const reported = onlyDuplicates ? slips : [firstSlip(slips, text)].filter((e) => e !== undefined);
  const yamlProblems = reported.map((e) => yamlProblem(e, text, position));
  // A document of comments only (or a trailing `---`) holds no integration.
  const empty = doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null);
  if (empty && yamlProblems.length === 0) return undefined;
  const start = position(doc.contents?.range[0] ?? doc.range[0]);
  const base = { index, start, locate, writtenAt };
  if (yamlProblems.length > 0 && !onlyDuplicates)
    return { ...base, data: undefined, problems: yamlProblems };
  const self = selfAlias(doc);
  if (self)
    return {
      ...base,
      data: undefined,
      problems: [{ ...position(self.offset), message: self.message }],
    };
  const collectionKey = collectionKeyProblem(doc);
  if (collectionKey !== undefined) {
    return {
      ...base,
      data: undefined,
      problems: [{ ...position(collectionKey.offset), message: collectionKey.message }],
    };
  }
  try {
    const data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as unknown;
    if (!expandsBeyond(data, DEFAULTS.maxFileBytes))
      return { ...base, data, problems: yamlProblems };
    return { ...base, data: undefined, problems: [{ ...start, message: EXPANDS_TOO_FAR }] };
  } catch (err) {
    const { message, alias } = aliasProblem(err);
    const where = aliasOffset(doc, alias) ?? doc.range[0];
    return { ...base, data: undefined, problems: [{ ...position(where), message }] };
  }
}

/** What went wrong expanding aliases, and the alias to point at (any, for a bomb). */
function aliasProblem(err: unknown): { message: string; alias?: string } {
  const text = err instanceof Error ? err.message : "";
  const unresolved = /^Unresolved alias.*: (.*)$/.exec(text);
  if (err instanceof ReferenceError && unresolved) {
    const alias = unresolved[1] ?? "";
    return {
      alias,
      // Not named: a value that starts with * may be a password (`password: *S3cret`).
      message:
        "unknown alias: a value that starts with * repeats the anchor (&name) of its name, and " +
        "none is defined before this point: define the anchor first (anchors do not carry over " +
        "from one --- document to the next), or put the value in quotes if the * belongs to it",
    };
  }
  if (err instanceof ReferenceError && /alias/i.test(text)) {
    return {
      message: `too many YAML alias references (more than ${MAX_ALIAS_COUNT} expanded): this looks like a YAML bomb`,
    };
  }
  return { message: fatalMessage(err) };
}

function yamlProblem(error: YAMLError, text: string, position: (o: number) => Position): Located {
  const at = position(error.pos[0]);
  if (error.code === "DUPLICATE_KEY") {
    const written = /^[^\n:]*/.exec(text.slice(error.pos[0], error.pos[0] + 200))?.[0].trim() ?? "";
    if (EMPTY_KEY.test(written)) {
      return { ...at, message: "duplicate empty or null (~) key: a key must be text" };
    }
    const key = /^(["'])(.*)\1$/.exec(written)?.[2] ?? written;
    // `1` and `"1"` are one key once read (sameKeyText): say so, or the two look different.
    const forms = NOT_TEXT_UNQUOTED.test(key) ? ` (${key} and "${key}" are the same key)` : "";
    return {
      ...at,
      message: `duplicate key ${JSON.stringify(key)}: each key may appear only once in a mapping${forms}`,
    };
  }
  if (error.message.startsWith("Unresolved tag"))
    return { ...at, message: unsupportedTag(error, text) };
  if (error.code === "TAB_AS_INDENT") {
    return {
      ...at,
      message: "YAML: a tab indents this line, and YAML indents with spaces only: use spaces",
    };
  }
  const hint = hintFor(error, text);
  if (hint) return { ...position(hint.offset), message: hint.message };
  return { ...at, message: slipMessage(error) ?? `YAML: ${firstLine(error.message)}` };
}

/** Where a syntax error's slip was made, and what to write there; undefined: the parser's. */
function hintFor(error: YAMLError, text: string): YamlHint | undefined {
  const offset = error.pos[0];
  if (error.code === "BLOCK_AS_IMPLICIT_KEY") return misplacedMapping(offset, text);
  if (error.code === "BLOCK_IN_FLOW") return quotingHint(offset, text) ?? blockInFlow(offset, text);
  if (error.code === "BAD_INDENT") {
    return badIndentHint(offset, error.message, text) ?? quotingHint(offset, text);
  }
  if (error.code === "MISSING_CHAR" && error.message.startsWith("Missing closing"))
    return unclosedQuote(offset, text);
  return (
    bracketedKeyHint(offset, text) ??
    quotingHint(offset, text) ??
    bracketInValue(error, text) ??
    leftOverText(error, text) ??
    openerAfterValue(error, text) ??
    markerHint(error, text) ??
    afterDocumentEnd(error, text) ??
    textBeforeKeys(error, text)
  );
}

/** Where the first alias (named `name`, when given) is written. */
function aliasOffset(doc: Document, name?: string): number | undefined {
  let offset: number | undefined;
  visit(doc, {
    Alias(_, node) {
      if (name !== undefined && node.source !== name) return undefined;
      offset = node.range?.[0];
      return visit.BREAK;
    },
  });
  return offset;
}

type Ranged = { range?: [number, number, number] | null };

function offsetOf(doc: Document, path: readonly PathSegment[], onKey: boolean): number {
  const { found } = nodeAt(doc, path, onKey);
  if (path.length === 0 || !found?.range) return (doc.contents as Ranged | null)?.range?.[0] ?? 0;
  return found.range[0];
}

/**
 * The node at `path` (`reached` when every segment was found), and the nearest node to
 * point at on the way: the deepest value found, or its key with `onKey`.
 */
function nodeAt(
  doc: Document,
  path: readonly PathSegment[],
  onKey = false,
): { node: unknown; reached: boolean; found: Ranged | undefined } {
  let node: unknown = doc.contents;
  let keyNode: unknown;
  let found = node as Ranged | undefined;
  let depth = 0;
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      // The last of duplicate keys: the one whose value was read (see toParsedDocument).
      const pair = node.items.findLast((p) => dataKey(p.key) === String(segment));
      if (!pair) break;
      [keyNode, node] = [pair.key, pair.value];
    } else if (isSeq(node) && typeof segment === "number" && node.items[segment]) {
      [keyNode, node] = [undefined, node.items[segment]];
    } else break;
    found = ((onKey && keyNode) || node || keyNode) as Ranged | undefined;
    depth++;
  }
  if (isAlias(node)) node = node.resolve(doc);
  return { node, reached: depth === path.length, found };
}
