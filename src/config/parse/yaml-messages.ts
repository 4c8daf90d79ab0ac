/**
 * YAML's own syntax errors worded for an integration file, where the parser's words
 * ("Unexpected flow-map-start at node end") do not say what to do: a value that needed
 * quotes, a quote inside a quoted value, a tag, a nested mapping where text was meant.
 * Each takes the error's offset and the file's text and says where to point.
 */
import { CST, Lexer, type YAMLError } from "yaml";
import { LIST_COMMA, MAP_COMMA } from "./flow-messages.js";
import { markerSlip } from "./marker-messages.js";
import { mayRepeat } from "../field-guess.js";
import { lineStart, restOfLine } from "./lines.js";

export interface YamlHint {
  offset: number;
  message: string;
}

/** What the hints read of one of the parser's errors. */
export type SyntaxSlip = Pick<YAMLError, "code" | "message" | "pos">;

/** The core schema's own tags, which fail only on a value they cannot describe. */
const CORE_TAG = /^!(?:!|<tag:yaml\.org,2002:)(?:str|int|float|bool|null|map|seq)>?$/;

/** YAML's own tags (`!!omap`, `!<tag:yaml.org,2002:set>`): named in messages. */
const YAML_TAG = /^!(?:!|<tag:yaml\.org,2002:)[\w-]+>?$/;

export function unsupportedTag(error: Pick<YAMLError, "pos">, text: string): string {
  const tag = /^!<[^>\s]*>|^![^\s,[\]{}]*/.exec(text.slice(error.pos[0], error.pos[0] + 100))?.[0];
  if (tag !== undefined && CORE_TAG.test(tag)) {
    return `YAML tag ${tag} does not fit its value: remove the tag`;
  }
  // Any other is not named: a value that starts with ! may be a password (`password: !S3cret`).
  if (tag === undefined || !YAML_TAG.test(tag)) {
    return (
      "this YAML tag (a value that starts with !) is not supported: an integration file holds " +
      "plain mappings, lists, text, numbers and booleans; remove the tag, or put the value in " +
      "quotes if the ! belongs to it"
    );
  }
  return (
    `YAML tag ${tag} is not supported: an integration file holds plain mappings, lists, ` +
    `text, numbers and booleans; remove the tag (secrets are written \${file:...} or \${env:...})`
  );
}

/**
 * The parser's "Missing closing quote", which it reports where the text ends, pointed at the
 * quote that opened the value: a quoted value may span lines, so it ran on to the end.
 */
export function unclosedQuote(offset: number, text: string): YamlHint | undefined {
  let start = 0;
  for (const token of new Lexer().lex(text)) {
    // The lexer's markers for a document, a scalar and a flow's end are not in the text.
    if (token === CST.DOCUMENT || token === CST.SCALAR || token === CST.FLOW_END) continue;
    const type = CST.tokenType(token);
    const quoted = type === "double-quoted-scalar" || type === "single-quoted-scalar";
    if (quoted && start <= offset && offset <= start + token.length) {
      const quote = token[0] ?? '"';
      return {
        offset: start,
        message:
          `YAML: the ${quote} that opens this value is never closed, so the value runs on to ` +
          `the end of the file: add the closing ${quote}`,
      };
    }
    start += token.length;
  }
  return undefined;
}

/**
 * The parser's "nested mappings are not allowed in compact mappings", pointed at where the
 * mistake most often is: the line after a value, indented deeper as if under its key, or,
 * on the value's own line, a `: ` that was meant as text.
 */
export function misplacedMapping(offset: number, text: string): YamlHint {
  const lineEnd = text.indexOf("\n", offset);
  const rest = restOfLine(text, offset);
  if (lineEnd < 0 || /:(?:\s|$)/.test(rest)) {
    return {
      offset,
      message: 'YAML: a value holding ": " must be quoted, or it reads as a nested mapping',
    };
  }
  const nextKey = lineEnd + 1 + (/^[ \t]*/.exec(text.slice(lineEnd + 1))?.[0].length ?? 0);
  return {
    offset: nextKey,
    message:
      "YAML: this line is indented deeper than the key above it, which has its value already: " +
      "indent it as that key (a nested mapping starts on the line after a key with nothing after its colon)",
  };
}

/**
 * A syntax error at or just after a `{`, a `${` or a closing quote in the value it falls
 * in: `{name}` unquoted starts a mapping, and inside `{ }` or `[ ]` so does a `{` within a
 * value (`ext-{extensionNumber}`, `${env:CRM_TOKEN}`); `'it's'` ends at its second quote.
 * Undefined when the error is about something else.
 */
export function quotingHint(offset: number, text: string): YamlHint | undefined {
  const { start, end } = valueAround(offset, text);
  const value = text.slice(start, end);
  const quote = text[offset - 1];
  // `'it's here'`: text goes on right after the quote that ended the value (a missing
  // comma, `"b""c"`, has another quote or a separator there).
  const wordAfter = /\w/.test(text[offset] ?? "");
  if ((quote === "'" || quote === '"') && value.startsWith(quote) && offset - 1 > start) {
    return wordAfter ? { offset: offset - 1, message: quoteInsideQuotes(quote) } : undefined;
  }
  // Only a value that holds a placeholder or a reference: other braces are another mistake
  // (a stray "}", a missing comma), which the parser's own words describe better.
  if (!PLACEHOLDER_OR_REFERENCE.test(value) || value.startsWith("'") || value.startsWith('"')) {
    return undefined;
  }
  // A flow mapping written as one (`{template: "{name}"}`): the mistake is elsewhere.
  if (/^\{[^}]*:\s/.test(value)) return undefined;
  const reference = value.includes("${");
  const how = value.startsWith("{")
    ? `YAML: a value that starts with "{" must be quoted, or it reads as a mapping`
    : `YAML: inside { } or [ ], a value holding ${reference ? "a ${…} reference" : 'a "{"'} must be quoted`;
  const also = barePlaceholders(text.slice(lineStart(text, offset), start));
  const more = also.length === 0 ? "" : `; quote ${also.join(", ")} too, or it is a mapping`;
  return { offset: start, message: `${how}: write ${quoted(value, reference)}${more}` };
}

function quoteInsideQuotes(quote: "'" | '"'): string {
  return quote === "'"
    ? "YAML: a ' inside a '…' value ends it: double it ('it''s here'), or put the value in double quotes"
    : 'YAML: a " inside a "…" value ends it: write it as \\" ("say \\"hi\\""), or put the value in single quotes';
}

const PLACEHOLDER_OR_REFERENCE = /\{[A-Za-z][A-Za-z0-9_]*\}|\$\{(?:env|file):[^}]*\}/;

/**
 * The value in double quotes, as the file would have it, when it is made of placeholders,
 * references and short words around them (`ext-{extensionNumber}`, `x${env:T}-y`); else an
 * example: a value written out by mistake may be a secret (`pa{ss} Zq7Secret`), which no
 * message repeats, and a word of letters no longer than six is no secret.
 */
function quoted(value: string, reference: boolean): string {
  // A name in braces that may not be repeated is text like any other: part of a secret, maybe.
  const rest = value.replace(new RegExp(PLACEHOLDER_OR_REFERENCE.source, "g"), (found) =>
    found.startsWith("$") || mayRepeat(found.slice(1, -1)) ? " " : ` ${found.slice(1, -1)} `,
  );
  if (value.length <= 80 && /^[ ./:_-]*(?:[A-Za-z]{1,6}[ ./:_-]+)*[A-Za-z]{0,6}$/.test(rest)) {
    return `"${value}"`;
  }
  return reference ? '"${env:NAME}"' : '"{name}"';
}

/** `{serviceUuid}` items before the value, in the same flow list or mapping: mappings too. */
function barePlaceholders(before: string): string[] {
  const found = before.matchAll(/[[,:]\s*(\{[A-Za-z][A-Za-z0-9_]*\})\s*(?=,)/g);
  return [...new Set([...found].map((m) => `"${m[1]}"`))];
}

/**
 * The plain value `offset` falls in, on its line: back to the `: `, `,`, `[`, `- ` or
 * enclosing `{` before it, forward to the `,`, `]` or enclosing `}` after it, braces the
 * value opens counted as part of it.
 */
function valueAround(offset: number, text: string): { start: number; end: number } {
  const first = lineStart(text, offset);
  let start = first;
  for (let i = offset - 1, depth = 0; i >= first; i--) {
    const c = text[i];
    if (c === "}") depth++;
    else if (c === "{" && depth > 0) depth--;
    else if (depth === 0 && (c === "{" || c === "[" || c === ",")) start = i + 1;
    else if (depth === 0 && c === ":" && /\s/.test(text[i + 1] ?? "")) start = i + 1;
    else if (c === "-" && /\s/.test(text[i + 1] ?? "") && !text.slice(first, i).trim())
      start = i + 1;
    if (start !== first) break;
  }
  let end = offset;
  for (let depth = 0; end < text.length; end++) {
    const c = text[end];
    if (c === "\n" || (c === "#" && /\s/.test(text[end - 1] ?? ""))) break;
    if (c === "{") depth++;
    else if (c === "}" && depth-- === 0) break;
    else if (depth === 0 && (c === "," || c === "]")) break;
  }
  while (start < end && /\s/.test(text[start] ?? "")) start++;
  while (end > start && /\s/.test(text[end - 1] ?? "")) end--;
  return { start, end };
}

/**
 * The parser's words for common slips, said as what to write: a key without its colon, a
 * list begun on its key's line, a comma left out between the items of `[ ]` or `{ }` or one
 * too many, a bracket that closes nothing, a backslash that starts no escape, a value that
 * starts with a character YAML reserves.
 * Undefined for any other error, whose own words stand.
 */
export function slipMessage(error: Pick<YAMLError, "code" | "message">): string | undefined {
  const { code, message } = error;
  if (
    code === "MULTILINE_IMPLICIT_KEY" ||
    (code === "MISSING_CHAR" && message.startsWith("Implicit map keys need to be followed"))
  ) {
    return 'YAML: a key here has no ":" after it: write key: value, with a colon and a space';
  }
  if (code === "UNEXPECTED_TOKEN" && message.includes("block-seq-ind on same line with key")) {
    return 'YAML: a list cannot start on its key\'s line: put each "- item" on a line of its own below the key, indented, or write [a, b]';
  }
  if (code === "MISSING_CHAR" && message.startsWith("Missing , or : between flow sequence items")) {
    return LIST_COMMA;
  }
  if (code === "MISSING_CHAR" && message.startsWith("Missing , or : between flow map items")) {
    return "YAML: a comma or a colon is missing here: write {key: value, other: value}";
  }
  // Said after a value that cannot be a key (a quoted value on an earlier line, a { } or [ ]).
  if (code === "MISSING_CHAR" && message.startsWith("Missing , between flow map items")) {
    return MAP_COMMA;
  }
  if (code === "UNEXPECTED_TOKEN" && /^Unexpected , in flow (?:map|sequence)/.test(message)) {
    return "YAML: this comma has no item before it: remove it (write [a, b] or {a: 1, b: 2})";
  }
  const closer = /^Unexpected flow-(seq|map)-end token/.exec(message);
  if (code === "UNEXPECTED_TOKEN" && closer) {
    return closer[1] === "seq"
      ? "YAML: this ] closes no list: remove it, or open the list with ["
      : "YAML: this } closes no mapping: remove it, or open the mapping with {";
  }
  // The parser's own words repeat the text after the backslash or the indicator, which may be
  // a secret's: these say what to write without it.
  if (code === "BAD_DQ_ESCAPE") {
    return (
      'YAML: this \\ starts no escape that "…" knows (such as \\n, \\t, \\" or \\\\): write \\\\ ' +
      "for a backslash, or put the value in single quotes, where \\ is plain text"
    );
  }
  // "Not a YAML token" is text after a | or > at the start of a block (`> password: S3cret`).
  if (
    code === "UNEXPECTED_TOKEN" &&
    (message.startsWith("Block scalar header includes extra") ||
      message.startsWith("Not a YAML token"))
  ) {
    return (
      "YAML: after | or > only - or + and an indentation digit may follow on its line: " +
      "put the text on the lines below, indented, or quote the value"
    );
  }
  if (code === "MISSING_CHAR" && message.startsWith("Sequence item without - indicator")) {
    return 'YAML: this line is in a list but has no "- ": start it with "- ", lined up with the items above';
  }
  if (code === "MISSING_CHAR" && message.startsWith("Comments must be separated")) {
    return "YAML: a comment needs a space before its #: put one there, or, if the # belongs to the value, put it inside the value's quotes";
  }
  return markerSlip(error);
}
