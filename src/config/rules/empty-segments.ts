/**
 * Path arguments made only of fields an event may lack. For an event without them the
 * segment comes out empty, and the delivery is dead-lettered rather than sent to another
 * URL (`…/callbacks/` for `…/callbacks/<number>`). That may be what the administrator
 * wants, so `validate` warns and the file stays valid.
 */
import type { RawIntegration } from "../parse/raw.js";
import type { RuleProblem } from "./rules.js";
import { displayPath } from "../text.js";
import { fillPlaceholders, isFieldName, placeholderNames } from "../placeholders.js";
import { OPTIONAL_FIELDS, type FieldName } from "../types.js";

/** The optional fields a path argument is made of, or undefined when it has more in it. */
function optionalFieldsOnly(text: string): FieldName[] | undefined {
  const rest = fillPlaceholders(text, (field) =>
    OPTIONAL_FIELDS[field] === undefined ? `{${field}}` : "",
  );
  if (text === "" || rest !== "") return undefined;
  return [...new Set(placeholderNames(text).filter(isFieldName))];
}

/** Judged as written: text of its own, a `${…}` reference or an escape is never empty. */
export function emptyableSegments(raw: RawIntegration): RuleProblem[] {
  return (raw.webhook.pathArguments ?? []).flatMap((text, i) => {
    const fields = optionalFieldsOnly(text);
    if (!fields) return [];
    const path = ["webhook", "pathArguments", i];
    const lacking = fields.map((f) => `${f}, from ${OPTIONAL_FIELDS[f]}`).join("; ");
    return [
      {
        path,
        message:
          `${displayPath(path)} is made only of fields an event may lack (${lacking}): an ` +
          "event without them leaves the segment empty, and its delivery is dead-lettered, " +
          "not sent to another URL; a segment with text of its own, e.g. " +
          `"n-{${fields[0]}}", is never empty`,
      },
    ];
  });
}
