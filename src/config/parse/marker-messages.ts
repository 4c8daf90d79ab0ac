/**
 * YAML's markers written where they mean something other than what was meant, said as what
 * to write: a `*` typed at the start of a key (it starts an alias), a `%` line at the top of
 * the file (a directive, which needs `---` after it), and text after a `...` (the document's
 * end). The parser's own words ("Unexpected scalar at node end", "Missing directives-end/
 * doc-start indicator line") name none of them.
 */
import type { YAMLError } from "yaml";
import { lineStart } from "./lines.js";
import type { YamlHint } from "./yaml-messages.js";

type SyntaxError = Pick<YAMLError, "code" | "message" | "pos">;

export function markerHint(error: SyntaxError, text: string): YamlHint | undefined {
  return (
    aliasAsKey(error, text) ?? directiveWithoutStart(error, text) ?? afterEndMarker(error, text)
  );
}

const UNEXPECTED_SCALAR = /^Unexpected [\w-]*scalar (?:token|at node end)/;

/** The text of the error's line before it. */
function before(error: SyntaxError, text: string): { line: number; text: string } {
  const line = lineStart(text, error.pos[0]);
  return { line, text: text.slice(line, error.pos[0]) };
}

/**
 * `*serviceType: mycloudpbx`: an alias's name runs on through the colon (`:` may be part of
 * it), so the value after it is unexpected.
 */
function aliasAsKey(error: SyntaxError, text: string): YamlHint | undefined {
  if (error.code !== "UNEXPECTED_TOKEN" || !UNEXPECTED_SCALAR.test(error.message)) return undefined;
  const { line, text: written } = before(error, text);
  const alias = /^([ \t]*(?:-[ \t]+)?)\*[^\s,[\]{}]*:[ \t]*$/.exec(written);
  if (!alias) return undefined;
  return {
    offset: line + (alias[1]?.length ?? 0),
    message:
      'YAML: a key cannot start with * unless it is quoted (*name repeats an anchor, and the ":" ' +
      "after it reads as part of that name): remove the *, or put the key in quotes",
  };
}

/** A `%` line before the document, with no `---` after it: a directive, or a comment's `#` mistyped. */
function directiveWithoutStart(error: SyntaxError, text: string): YamlHint | undefined {
  if (error.code !== "MISSING_CHAR" || !error.message.startsWith("Missing directives-end")) {
    return undefined;
  }
  const directive = [...text.slice(0, error.pos[0]).matchAll(/^%/gm)].at(-1)?.index;
  if (directive === undefined) return undefined;
  return {
    offset: directive,
    message:
      "YAML: a line that starts with % is a directive (such as %YAML 1.2), which needs a --- " +
      "line after it, before the document: add --- below it, or start a comment with # instead",
  };
}

/** `... x`: the document ended at `...`, and the text after it on its line is left over. */
function afterEndMarker(error: SyntaxError, text: string): YamlHint | undefined {
  if (error.code !== "UNEXPECTED_TOKEN" || !UNEXPECTED_SCALAR.test(error.message)) return undefined;
  if (!/^\.\.\.[ \t]+$/.test(before(error, text).text)) return undefined;
  return {
    offset: error.pos[0],
    message:
      'YAML: a line starting with "..." ends the document, so the text after it is left over: ' +
      'remove the "..." (an integration file needs no end marker), or move the text',
  };
}
