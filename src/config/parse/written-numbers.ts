/**
 * A rule that needs the document as written, not only its data: a webhook's field values
 * that YAML reads as numbers although they are written the way text is.
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
