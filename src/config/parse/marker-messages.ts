/**
 * YAML's markers written where they mean something other than what was meant, said as what
 * to write: a `*`, `&` or `!` typed before a key or a value (an alias, an anchor, a tag), a
 * `%` line at the top of the file (a directive, which needs `---` after it), text after a
 * `...` (the document's end), and a `:` that starts a line. The parser's own words
 * ("Unexpected scalar at node end", "Missing directives-end/doc-start indicator line") name
 * none of them, and none of these repeat the value, which may be a password.
 */
import type { YAMLError } from "yaml";
import { atLineStart } from "./indent-messages.js";
import { lineStart } from "./lines.js";
import type { SyntaxSlip, YamlHint } from "./yaml-messages.js";

/**
 * The parser's words for a value or key that starts with a character YAML reserves, said
 * without the value (it may be a password: `*S3cret`, `&S3cret`). Undefined for any other.
 */
export function markerSlip(error: Pick<YAMLError, "code" | "message">): string | undefined {
  const { code, message } = error;
  if (code === "MISSING_CHAR" && message.startsWith("Tags and anchors must be separated")) {
    return "YAML: a & or ! before a value starts an anchor or a tag, which a space must separate from the value: remove it, or put the value in quotes";
  }
  if (code === "BAD_ALIAS" && message.startsWith("Anchor ending in : is ambiguous")) {
    return 'YAML: a key cannot start with & unless it is quoted (&name names an anchor, and the ":" after it reads as part of that name): remove the &, or put the key in quotes';
  }
  const empty = /^(Alias|Anchor) cannot be an empty string/.exec(message);
  if (code === "BAD_ALIAS" && empty) {
    const [mark, does] = empty[1] === "Alias" ? ["*", "repeats"] : ["&", "names"];
    return `YAML: a value cannot start with ${mark} unless it is quoted (${mark}name ${does} an anchor): put the value in quotes`;
  }
  const reserved =
    /^Plain value cannot start with (?:reserved|[\w ]+ indicator)(?: character)? (\S)/.exec(
      message,
    );
  if (code === "BAD_SCALAR_START" && reserved) {
    return `YAML: a value cannot start with ${reserved[1]} unless it is quoted: put the value in quotes`;
  }
  return undefined;
}

export function markerHint(error: SyntaxSlip, text: string): YamlHint | undefined {
  return (
    aliasAsKey(error, text) ??
    aliasThenText(error, text) ??
    directiveWithoutStart(error, text) ??
    afterEndMarker(error, text) ??
    colonWithoutKey(error, text)
  );
}

const UNEXPECTED_SCALAR = /^Unexpected [\w-]*scalar (?:token|at node end)/;
const UNEXPECTED_ANY = /^Unexpected [\w-]+ (?:token|at node end)/;

/** The text of the error's line before it. */
function before(error: SyntaxSlip, text: string): { line: number; text: string } {
  const line = lineStart(text, error.pos[0]);
  return { line, text: text.slice(line, error.pos[0]) };
}

/**
 * `*serviceType: mycloudpbx`: an alias's name runs on through the colon (`:` may be part of
 * it), so the value after it is unexpected.
 */
function aliasAsKey(error: SyntaxSlip, text: string): YamlHint | undefined {
  if (error.code !== "UNEXPECTED_TOKEN" || !UNEXPECTED_ANY.test(error.message)) return undefined;
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

/**
 * `description: *Opens a ticket`: a value that starts with `*` is an alias, whose name ends
 * at the first space; the words after it are unexpected. Said at the `*`, without the value.
 */
function aliasThenText(error: SyntaxSlip, text: string): YamlHint | undefined {
  if (error.code !== "UNEXPECTED_TOKEN" || !UNEXPECTED_SCALAR.test(error.message)) return undefined;
  const { line, text: written } = before(error, text);
  const alias = /^([ \t]*(?:-[ \t]+)?(?:[^\s#][^#]*?:[ \t]+)?)\*[^\s,[\]{}]+[ \t]+$/.exec(written);
  if (!alias) return undefined;
  return {
    offset: line + (alias[1]?.length ?? 0),
    message:
      "YAML: a value cannot start with * unless it is quoted (*name repeats an anchor): put the value in quotes",
  };
}

/** A `%` line before the document, with no `---` after it: a directive, or a comment's `#` mistyped. */
function directiveWithoutStart(error: SyntaxSlip, text: string): YamlHint | undefined {
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
function afterEndMarker(error: SyntaxSlip, text: string): YamlHint | undefined {
  if (error.code !== "UNEXPECTED_TOKEN" || !UNEXPECTED_SCALAR.test(error.message)) return undefined;
  if (!/^\.\.\.[ \t]+$/.test(before(error, text).text)) return undefined;
  return {
    offset: error.pos[0],
    message:
      'YAML: a line starting with "..." ends the document, so the text after it is left over: ' +
      'remove the "..." (an integration file needs no end marker), or move the text',
  };
}

/** `: hookswitch/v1` at the start of a line: the key before the colon was lost. */
function colonWithoutKey(error: SyntaxSlip, text: string): YamlHint | undefined {
  const at = atLineStart(error, text, /^Unexpected map-value-ind/);
  if (at === undefined) return undefined;
  return {
    offset: at.offset,
    message:
      'YAML: this ":" starts its line, so the value after it has no key: write the key before the colon',
  };
}
