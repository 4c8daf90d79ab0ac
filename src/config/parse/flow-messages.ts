/**
 * YAML's syntax errors inside `[ ]` and `{ }`, and just after them, worded for an integration
 * file: a comma left out, a bracket written inside a value, text left over after a value
 * that ended, a block list or mapping written inside brackets.
 */
import { CST, Lexer } from "yaml";
import { lineStart, restOfLine } from "./lines.js";
import type { SyntaxSlip, YamlHint } from "./yaml-messages.js";

/** What may be typed after a value that ended: text, a bracket, a YAML indicator. */
const LEFT_OVER_TOKEN =
  /^Unexpected (?:[\w-]*scalar|flow-(?:map|seq)-start|anchor|tag|alias|block-scalar-header|explicit-key-ind|seq-item-ind) (?:token|at node end)/;

/**
 * The parser's "Unexpected scalar token" or "… at node end" (or a `[` or `{` there) just after
 * a closing quote, `}` or `]` on its line: inside `[ ]` or `{ }`, a comma left out (`{url: "x" method: POST}`,
 * `{who: {value: x} x: name}`); outside them, text after a value that ended there
 * (`description: "Callback" for the CRM`).
 */
export function leftOverText(error: SyntaxSlip, text: string): YamlHint | undefined {
  const offset = error.pos[0];
  if (error.code !== "UNEXPECTED_TOKEN" || !LEFT_OVER_TOKEN.test(error.message)) {
    return undefined;
  }
  const closing = text.slice(lineStart(text, offset), offset).trimEnd().slice(-1);
  if (!["'", '"', "}", "]"].includes(closing)) return undefined;
  const flow = openFlowAt(offset, text);
  if (flow === "[") return { offset, message: LIST_COMMA };
  if (flow === "{") return { offset, message: MAP_COMMA };
  if (closing === "}" || closing === "]") {
    const what = closing === "}" ? "a { } mapping" : "a [ ] list";
    // `password: S3cr}t` inside braces: the bracket was meant as part of a value.
    const inValue = text[offset - 1] === closing && /[^\s"'[\]{},]/.test(text[offset - 2] ?? " ");
    const fix = inValue
      ? `put a value that holds ${closing} in quotes`
      : "put it inside the brackets after a comma, or remove it";
    return {
      offset,
      message: `YAML: ${what} ends at its ${closing}, so the text after it is left over: ${fix}`,
    };
  }
  return {
    offset,
    message:
      "YAML: a quoted value ends at its closing quote, so the text after it is left over: " +
      'put the whole value inside one pair of quotes (a " inside "…" is written \\", a \' ' +
      "inside '…' is doubled)",
  };
}

/**
 * A `{` or `[` written inside a plain value within `{ }` or `[ ]` (`{password: S3cr{t}`), where
 * it opens a mapping or list: said without repeating the value, which may be a secret.
 */
export function bracketInValue(error: SyntaxSlip, text: string): YamlHint | undefined {
  const offset = error.pos[0];
  const bracket = text[offset];
  const slip =
    /^Unexpected flow-(?:map|seq)-start at node end/.test(error.message) ||
    error.message.startsWith("Missing , or : between flow");
  if ((bracket !== "{" && bracket !== "[") || !slip) return undefined;
  if (!/[^\s,[\]{}:"']/.test(text[offset - 1] ?? " ") || openFlowAt(offset, text) === undefined) {
    return undefined;
  }
  const what = bracket === "{" ? "mapping" : "list";
  return {
    offset,
    message: `YAML: inside { } or [ ], a ${bracket} within a value opens a ${what}: put a value that holds ${bracket} in quotes`,
  };
}

/**
 * A `{` or `[` after a value and a space inside `{ }`: a comma left out before a mapping or
 * list (`{b: c {d: e}}`), or, last on its line, an opening bracket typed for the closing one.
 */
export function openerAfterValue(error: SyntaxSlip, text: string): YamlHint | undefined {
  const offset = error.pos[0];
  const bracket = text[offset];
  if (
    error.code !== "UNEXPECTED_TOKEN" ||
    !/^Unexpected flow-(?:map|seq)-start (?:token|at node end)/.test(error.message) ||
    !/[ \t]/.test(text[offset - 1] ?? "")
  ) {
    return undefined;
  }
  const flow = openFlowAt(offset, text);
  if (flow === undefined) return undefined;
  if (!/^[ \t]*(?:#.*)?$/.test(restOfLine(text, offset + 1))) {
    return { offset, message: flow === "[" ? LIST_COMMA : MAP_COMMA };
  }
  const [what, close] = flow === "{" ? ["mapping", "}"] : ["list", "]"];
  const opened = bracket === "{" ? "mapping" : "list";
  return {
    offset,
    message: `YAML: this ${bracket} at the end of its line opens a new ${opened} inside the ${what} before it: to close that ${what}, write ${close} instead`,
  };
}

export const LIST_COMMA = "YAML: a comma is missing before this item of the list: write [a, b]";
export const MAP_COMMA =
  "YAML: a comma is missing before this key: write {key: value, other: value}";

/** The innermost `[` or `{` still open at `offset`, read with YAML's own lexer (quotes, comments). */
function openFlowAt(offset: number, text: string): "[" | "{" | undefined {
  const open: ("[" | "{")[] = [];
  let start = 0;
  for (const token of new Lexer().lex(text)) {
    if (start >= offset) break;
    if (token === CST.DOCUMENT || token === CST.SCALAR || token === CST.FLOW_END) continue;
    const type = CST.tokenType(token);
    if (type === "flow-map-start") open.push("{");
    else if (type === "flow-seq-start") open.push("[");
    else if (type === "flow-map-end" || type === "flow-seq-end") open.pop();
    start += token.length;
  }
  return open.at(-1);
}

/**
 * The parser's "Block collections are not allowed within flow collections": after other text
 * on its line, a value holding ": " (`{maxAttempts: 3 initialDelay: 1s}`, a comma left out);
 * at the start of its line, a "- " list or an indented mapping written inside brackets.
 */
export function blockInFlow(offset: number, text: string): YamlHint {
  const rest = restOfLine(text, offset);
  const first = text.slice(lineStart(text, offset), offset).trim() === "";
  if (!first && /:\s/.test(rest)) {
    return {
      offset,
      message:
        'YAML: this value holds ": " inside { } or [ ]: put a comma before the next key ' +
        '(write {a: 1, b: 2}), or quote the value if the ": " belongs to it',
    };
  }
  return {
    offset,
    message:
      'YAML: a "- " list or an indented mapping cannot go inside { } or [ ]: write the items ' +
      "inside them separated by commas, or drop the brackets and indent the items instead",
  };
}
