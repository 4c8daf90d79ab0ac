/**
 * The parser's BAD_INDENT errors, said as what to write. It reports both at the start of the
 * line after the slip, in words of its own ("All mapping items must start at the same
 * column", "Flow sequence in block collection must be sufficiently indented and end with a
 * ]"): a key out of line with its mapping's is pointed at where it starts, and a list or
 * mapping left open at the bracket that opened it.
 */
import { lineStart, restOfLine } from "./lines.js";
import { positionAt } from "../text.js";
import type { SyntaxSlip, YamlHint } from "./yaml-messages.js";

const OUT_OF_LINE = /^All mapping items must start at the same column/;
const LEFT_OPEN =
  /^Flow (sequence|map) in block collection must be sufficiently indented and end with a [\]}]/;

export function badIndentHint(offset: number, message: string, text: string): YamlHint | undefined {
  if (OUT_OF_LINE.test(message)) return outOfLine(offset, text);
  const open = LEFT_OPEN.exec(message);
  if (!open) return undefined;
  const bracket = open[1] === "sequence" ? "[" : "{";
  const opened = leftOpen(offset, text, bracket);
  if (opened === undefined) return undefined;
  // On the bracket's own line only: a `}` lines below may end a `${…}` read into the list.
  const sameLine = lineStart(text, opened.offset) === lineStart(text, offset);
  return (sameLine ? wrongCloser(offset, text, bracket) : undefined) ?? opened;
}

/** `[a}]`, `{a: [b}`: the parser stops at a closing bracket of the other kind. */
function wrongCloser(offset: number, text: string, bracket: "[" | "{"): YamlHint | undefined {
  const [closer, other, what] =
    bracket === "[" ? ["]", "}", "a [ ] list"] : ["}", "]", "a { } mapping"];
  if (text[offset] !== other) return undefined;
  return {
    offset,
    message: `YAML: this ${other} does not close the ${bracket} before it, as ${what} ends with ${closer}: remove the ${other}, or write ${closer} for it`,
  };
}

/**
 * The syntax error to report of a document's: the first, unless that is a key read across
 * lines, or a comma missing on a later line, inside a list or mapping left open (`name: [a`
 * above an indented `b: c`; `[url: x` above `method: POST`), where the bracket is the slip
 * and the parser reports it only later.
 */
export function firstSlip<E extends SyntaxSlip>(slips: readonly E[], text: string): E | undefined {
  const [first] = slips;
  if (first === undefined) return undefined;
  const commaMissing =
    first.code === "MISSING_CHAR" && /^Missing , (?:or : )?between flow/.test(first.message);
  if (first.code !== "MULTILINE_IMPLICIT_KEY" && !commaMissing) return first;
  // A comma missing on the bracket's own line is a slip of its own (`[a b`).
  const before = commaMissing ? lineStart(text, first.pos[0]) - 1 : first.pos[0];
  const bracket = slips.find((slip) => {
    const open = slip.code === "BAD_INDENT" ? LEFT_OPEN.exec(slip.message) : null;
    const hint = open ? leftOpen(slip.pos[0], text, open[1] === "sequence" ? "[" : "{") : undefined;
    return hint !== undefined && hint.offset <= before;
  });
  return bracket ?? first;
}

/**
 * The parser's "Unexpected scalar at node end" at the start of a line, where the document
 * ended before it: the document's first line is indented deeper (often a comment that lost
 * its `#`), or the document is a `- ` list, which no key can follow.
 */
export function afterDocumentEnd(error: SyntaxSlip, text: string): YamlHint | undefined {
  const at = atLineStart(error, text, /^Unexpected [\w-]*scalar at node end/);
  if (at === undefined) return undefined;
  const { offset, line } = at;
  const first = documentFirstLine(text, line);
  if (first === undefined) return undefined;
  const [indent, firstIndent] = [offset - line, leadingSpaces(text, first)];
  const firstLine = positionAt(text, first).line;
  if (firstIndent > indent) {
    return {
      offset,
      message:
        `YAML: this line is indented less than the document's first line (line ${firstLine}, ` +
        `indented ${firstIndent}), so the document ended above it: start its top-level keys ` +
        "at one column (a comment that lost its # reads as a key)",
    };
  }
  if (firstIndent === indent && isListItem(text, first)) {
    return {
      offset,
      message:
        `YAML: the document is a list (line ${firstLine} starts with "- "), and no key can ` +
        'follow it at its level: an integration is a mapping of keys, written without "- "',
    };
  }
  return undefined;
}

/**
 * The parser's "Unexpected scalar token in YAML stream" at a key that starts its line: the
 * document above it was a text alone, most often the rest of a comment broken across lines,
 * which lost its `#`. Pointed at that text, not at the key.
 */
export function textBeforeKeys(error: SyntaxSlip, text: string): YamlHint | undefined {
  const at = atLineStart(error, text, /^Unexpected [\w-]*scalar token in YAML stream/);
  if (at === undefined) return undefined;
  const first = documentFirstLine(text, at.line);
  if (first === undefined || /:(?:\s|$)|^[-?]\s/.test(restOfLine(text, first).trim())) {
    return undefined;
  }
  return {
    offset: first + leadingSpaces(text, first),
    message:
      "YAML: this line is text on its own before the document's keys, so it is the whole " +
      "document and the keys below are left over: start it with # if it belongs to a comment, " +
      "or remove it",
  };
}

/** An UNEXPECTED_TOKEN error whose message matches, at the first text of its line. */
export function atLineStart(
  error: SyntaxSlip,
  text: string,
  message: RegExp,
): { offset: number; line: number } | undefined {
  const offset = error.pos[0];
  const line = lineStart(text, offset);
  if (error.code !== "UNEXPECTED_TOKEN" || !message.test(error.message)) return undefined;
  return text.slice(line, offset).trim() === "" ? { offset, line } : undefined;
}

/** Where the first line of the document holding `line` starts, after any `---`. */
function documentFirstLine(text: string, line: number): number | undefined {
  let first: number | undefined;
  for (let at = contentLineAbove(text, line); at !== undefined; at = contentLineAbove(text, at)) {
    const content = restOfLine(text, at).trim();
    if (content.startsWith("---") || content.startsWith("%")) break;
    first = at;
  }
  return first;
}

function outOfLine(offset: number, text: string): YamlHint {
  const keyLine = keyLineFrom(text, lineStart(text, offset));
  const indent = leadingSpaces(text, keyLine);
  if (inListAbove(text, keyLine, indent)) return afterListItems(text, keyLine, indent);
  const above = contentLineAbove(text, keyLine);
  const aboveIndent = above === undefined ? undefined : leadingSpaces(text, above);
  const was = aboveIndent === undefined ? "" : ` (the line above is indented ${aboveIndent})`;
  return {
    offset: keyLine + indent,
    message:
      `YAML: this key is indented ${indent} ${indent === 1 ? "space" : "spaces"}, which lines ` +
      `it up with no mapping above it${was}: indent it exactly as much as the other keys of ` +
      `its mapping`,
  };
}

/** Whether the nearest line above indented no deeper than `indent` is a `- ` item at it. */
function inListAbove(text: string, line: number, indent: number): boolean {
  const above = lineAboveIndentedAtMost(text, line, indent);
  return above !== undefined && leadingSpaces(text, above) === indent && isListItem(text, above);
}

/** Where the nearest content line above starts that is indented `indent` or less. */
function lineAboveIndentedAtMost(text: string, line: number, indent: number): number | undefined {
  let above = contentLineAbove(text, line);
  while (above !== undefined && leadingSpaces(text, above) > indent) {
    above = contentLineAbove(text, above);
  }
  return above;
}

/** Whether the line starting at `start` is a `- ` item. */
function isListItem(text: string, start: number): boolean {
  return /^-(?:\s|$)/.test(text.slice(start + leadingSpaces(text, start)));
}

/**
 * A line lined up with the `- ` items above it, as if still in the list: a key out by the
 * list's key, or an item that lost its `- `.
 */
function afterListItems(text: string, keyLine: number, indent: number): YamlHint {
  const owner = lineAboveIndentedAtMost(text, keyLine, indent - 1);
  const ownerIndent = owner === undefined ? 0 : leadingSpaces(text, owner);
  const spaces = `${ownerIndent} ${ownerIndent === 1 ? "space" : "spaces"}`;
  // `b: 1` is a key; `b` or `"b: c"` (no ": " outside quotes and comments) is an item.
  const line = restOfLine(text, keyLine + indent)
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'/g, '""')
    .replace(/(?:^|\s)#.*$/, "");
  const key = /:(?:\s|$)/.test(line);
  return {
    offset: keyLine + indent,
    message: key
      ? 'YAML: this key lines up with the "- " items of the list above it, and a list holds ' +
        `items, not keys: indent it as the key that holds the list (${spaces})`
      : 'YAML: this line lines up with the "- " items of the list above it, without their "- ": ' +
        'start it with "- " to make it an item of the list',
  };
}

/** The parser may report a comment out of line: the key is on the next line with more. */
function keyLineFrom(text: string, reported: number): number {
  let start = reported;
  while (start < text.length && !holdsMore(text, start)) {
    const end = text.indexOf("\n", start);
    if (end === -1) return reported;
    start = end + 1;
  }
  return start < text.length ? start : reported;
}

function holdsMore(text: string, start: number): boolean {
  const line = restOfLine(text, start).trim();
  return line !== "" && !line.startsWith("#");
}

/** Where the nearest line above that holds more than a comment starts. */
function contentLineAbove(text: string, line: number): number | undefined {
  let end = line - 1;
  while (end > 0) {
    const start = lineStart(text, end);
    if (holdsMore(text, start)) return start;
    end = start - 1;
  }
  return undefined;
}

function leadingSpaces(text: string, from: number): number {
  let i = from;
  while (text[i] === " ") i++;
  return i - from;
}

/**
 * The last `[` or `{` before `offset` that no bracket closes, outside quotes and comments:
 * the one the parser read on to the next line looking for its end.
 */
function leftOpen(offset: number, text: string, bracket: "[" | "{"): YamlHint | undefined {
  const opened: number[] = [];
  let quote: string | undefined;
  for (let i = 0; i < offset; i++) {
    const c = text[i];
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "#" && /\s/.test(text[i - 1] ?? "\n")) {
      const lineEnd = text.indexOf("\n", i);
      if (lineEnd === -1) break;
      i = lineEnd;
    } else if (c === "[" || c === "{") opened.push(i);
    else if (c === "]" || c === "}") opened.pop();
  }
  const at = opened.reverse().find((i) => text[i] === bracket);
  if (at === undefined) return undefined;
  const [what, close] = bracket === "[" ? ["list", "]"] : ["mapping", "}"];
  return {
    offset: at,
    message: `YAML: the ${bracket} that opens this ${what} is never closed: end the ${what} with ${close} on the same line`,
  };
}
