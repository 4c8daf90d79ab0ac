/**
 * Rules that need the document as written, not only its data: a webhook's field values
 * that YAML reads as numbers although they are written the way text is, and the names of
 * its fields and headers that YAML reads as numbers or booleans.
 */
import type { ParsedDocument } from "./parse.js";
import type { RuleProblem } from "../rules/rules.js";
import { isMapping } from "./schema-messages.js";
import { displayPath } from "../text.js";

/** A leading + or 0, or a hex or octal prefix: how numbers are written that are meant as text. */
const WRITTEN_AS_TEXT = /^\+|^-?0(?:\d|[xo])/i;

/**
 * Constants YAML reads as numbers although they are written the way a phone system writes
 * text (`+61290000000`, `0123`, `0x1F`): sent, each would be the number (61290000000, 123,
 * 31), not what the file says. The data has lost how they were written; the file has not.
 */
export function numbersNotAsWritten(doc: ParsedDocument): RuleProblem[] {
  return [
    ...valuesNotAsWritten(doc),
    ...namesNotAsWritten(doc, "fields"),
    ...namesNotAsWritten(doc, "headers"),
  ];
}

function valuesNotAsWritten(doc: ParsedDocument): RuleProblem[] {
  const webhook = isMapping(doc.data) ? doc.data.webhook : undefined;
  const fields = isMapping(webhook) ? webhook.fields : undefined;
  if (!isMapping(fields)) return [];
  return Object.entries(fields).flatMap(([key, spec]) => {
    const value = isMapping(spec) ? spec.value : undefined;
    if (typeof value !== "number") return [];
    const path = ["webhook", "fields", key, "value"];
    const written = doc.writtenAt(path)?.trim();
    if (written === undefined || !WRITTEN_AS_TEXT.test(written)) return [];
    return [
      {
        path,
        message:
          `${displayPath(path)} is written ${written}, which YAML reads as the number ` +
          `${String(value)}, and that is what would be sent: put it in quotes to send "${written}"`,
      },
    ];
  });
}

/**
 * The text a key YAML read as a number leaves in the data: `007` is "7", `1e3` "1000",
 * `0x1F` "31", `.inf` "Infinity". Only such a key can differ from how it is written, so
 * only those are looked up in the file (which costs a parse with positions). A null key
 * (`~:`) is refused by the schema.
 */
const NUMBER_KEY = /^(?:-?\d+(?:\.\d+)?(?:e[-+]\d+)?|-?Infinity|NaN)$/;
/** And a key YAML read as a boolean: `True` and `FALSE` are "true" and "false". */
const BOOLEAN_KEY = /^(?:true|false)$/;

/**
 * Names under `webhook.<map>` written as YAML reads a number (`007:`, `1e3:`, `0x1F:`) or a
 * boolean (`True:`): the request would carry the value's text ("7", "true"), not what the
 * file says.
 */
function namesNotAsWritten(doc: ParsedDocument, map: "fields" | "headers"): RuleProblem[] {
  const webhook = isMapping(doc.data) ? doc.data.webhook : undefined;
  const names = isMapping(webhook) ? webhook[map] : undefined;
  if (!isMapping(names)) return [];
  return Object.keys(names).flatMap((key) => {
    const read = NUMBER_KEY.test(key) ? "number" : BOOLEAN_KEY.test(key) ? "boolean" : undefined;
    if (read === undefined) return [];
    const path = ["webhook", map, key];
    const written = doc.writtenAt(path, true)?.trim();
    // Quoted, or written as read: the name is what the file says.
    if (written === undefined || written === key || /^["']/.test(written)) return [];
    const kind = map === "fields" ? "field" : "header";
    return [
      {
        path,
        onKey: true,
        message:
          `${displayPath(["webhook", map])}: the ${kind} name ${written} is read by YAML as the ` +
          `${read} ${key}, and "${key}" is the name that would be sent: put it in quotes to send "${written}"`,
      },
    ];
  });
}
