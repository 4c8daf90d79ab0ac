/**
 * YAML text -> one data value per document, with a way back from a path in the data to
 * a line and column in the file. Pure: takes bytes or text, returns data and problems.
 * Here: the result types, the fast path for a plain file, the conflict-marker and nesting
 * guards; the positional parser it falls back to is in parse-with-positions.ts, the check
 * that the bytes are UTF-8 text in decode.ts.
 */
import { CORE_SCHEMA, load as loadPlain, type LoadOptions } from "js-yaml";
import {
  flowNestingBeyondLimit,
  indicatorRunBeyondLimit,
  MAX_NESTING,
  NESTED_TOO_DEEP,
} from "./nesting.js";
import { parseWithPositions } from "./parse-with-positions.js";
import { positionAt, type PathSegment } from "../text.js";

export interface Position {
  line: number;
  column: number;
}

export interface Located extends Position {
  message: string;
}

export interface ParsedDocument {
  /** 0-based index of the document in the file. */
  index: number;
  /** Where the document's content starts (the integration's source location). */
  start: Position;
  /**
   * The document as plain data; undefined when it cannot be read. A document with duplicate
   * keys only is read (the later value wins) and comes with those as `problems`.
   */
  data: unknown;
  problems: Located[];
  /** Line and column of the node at `path` (of its key with `onKey`), or the nearest parent found. */
  locate(path: readonly PathSegment[], onKey?: boolean): Position;
  /** The text of the scalar at `path` (of its key with `onKey`) as written, or undefined when none. */
  writtenAt(path: readonly PathSegment[], onKey?: boolean): string | undefined;
}

/** Parses every document of a file. File-level failures come back as `problems`. */
export function parseYamlDocuments(text: string): {
  documents: ParsedDocument[];
  problems: Located[];
} {
  const plain = parsePlainDocument(text);
  if (plain) return plain;
  const conflict = conflictMarker(text);
  if (conflict) return { documents: [], problems: [conflict] };
  const tooDeep = flowNestingBeyondLimit(text) ?? indicatorRunBeyondLimit(text);
  if (tooDeep !== undefined) {
    return {
      documents: [],
      problems: [{ ...positionAt(text, tooDeep), message: NESTED_TOO_DEEP }],
    };
  }
  return parseWithPositions(text);
}

/**
 * Forms only the positional parser handles exactly: anchors, aliases, tags, directives,
 * several documents, merge keys, digit separators, keys that need care (a null key is ""
 * to one parser and "null" to the other; explicit `?` keys), and numbers the two parsers read differently (a
 * signed number, binary notation, an exponent beyond the range of a double), and a `#`
 * right after a closing quote or bracket, a comment that YAML refuses and the fast one takes,
 * and a `]` or `}` before a `:`, which may end a key that is a list or mapping (the fast
 * parser turns one into text).
 */
const NEEDS_POSITIONAL_PARSER =
  /[&*!%]|[^\s:,[{]["']#|[\]}]#|[\]}][ \t]*:(?:\s|$)|^(?:---|\.\.\.)|<<|\d_\d|__proto__|(?:^|[\s:,[{])[-+]\.?\d|\b0b|\d\.?e[-+]?\d{3}|(?:^|[\s{,[?])(?:~|null)[ \t]*:(?:\s|$)|(?:^|[\s{,[])\?(?:\s|$)/im;

/**
 * The fast path for the common file: one plain document, parsed about thirty times faster
 * by a parser that keeps no positions (js-yaml's 4.x line, with the YAML 1.2 core schema;
 * its 5.x line builds an event list first and is three times slower here). Positions are needed only to report a problem, so
 * `locate` parses again with positions the first time it is asked. Anything the fast
 * parser refuses (a syntax error, a duplicate key) goes to the positional parser, which
 * reports it with its line and column.
 */
function parsePlainDocument(
  text: string,
): { documents: ParsedDocument[]; problems: [] } | undefined {
  if (NEEDS_POSITIONAL_PARSER.test(text)) return undefined;
  let data: unknown;
  try {
    // Deeper than the limit (block and flow together): the slow path reports it or parses it.
    const options: LoadOptions & { maxDepth: number } = {
      schema: CORE_SCHEMA,
      maxDepth: MAX_NESTING,
    };
    data = loadPlain(text, options);
  } catch {
    return undefined;
  }
  if (data === null || data === undefined) return undefined;
  const start = contentStart(text);
  let positional: ParsedDocument | undefined;
  const withPositions = () => (positional ??= parseWithPositions(text).documents[0]);
  const locate = (path: readonly PathSegment[], onKey?: boolean): Position => {
    const quick = path.length === 1 ? topLevelEntryAt(text, String(path[0]), onKey) : undefined;
    return quick ?? withPositions()?.locate(path, onKey) ?? start;
  };
  const writtenAt = (path: readonly PathSegment[], onKey?: boolean) =>
    withPositions()?.writtenAt(path, onKey);
  return {
    documents: [{ index: 0, start, data, problems: [], locate, writtenAt }],
    problems: [],
  };
}

/**
 * Where a top-level `key: value` on one line is, found without parsing again: each
 * integration's `name` is located this way, so the fast path must not pay a positional
 * parse for it. A line at column 1 is a top-level entry in a plain block document (nested
 * and continued text is indented); anything else is left to the positional parser.
 */
function topLevelEntryAt(text: string, key: string, onKey?: boolean): Position | undefined {
  if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(key)) return undefined;
  const entry = new RegExp(String.raw`^${key}[ \t]*:[ \t]+(?=[^\s#])`, "m").exec(text);
  if (!entry) return undefined;
  return positionAt(text, onKey ? entry.index : entry.index + entry[0].length);
}

/** Where the positional parser puts a single document's content: its first non-comment line. */
function contentStart(text: string): Position {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const indent = line.length - line.trimStart().length;
    const rest = line.slice(indent).trimEnd();
    if (rest !== "" && !rest.startsWith("#")) return { line: i + 1, column: indent + 1 };
  }
  return { line: 1, column: 1 };
}

/**
 * A marker git leaves in a file it could not merge: `<<<<<<< HEAD`, `=======`, `>>>>>>> branch`
 * (and `|||||||` for the common ancestor), each at the start of a line. The parser would call
 * the first one a malformed key; said plainly, it is a conflict left unresolved.
 */
const CONFLICT_MARKER = /^(<{7}|={7}|>{7}|\|{7})(?=[ \t\r]|$)/m;

function conflictMarker(text: string): Located | undefined {
  const match = CONFLICT_MARKER.exec(text);
  if (!match) return undefined;
  const message = `unresolved merge conflict marker (${match[1]}): resolve the conflict`;
  return { ...positionAt(text, match.index), message };
}
