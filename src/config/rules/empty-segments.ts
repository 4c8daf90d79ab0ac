/**
 * Path arguments made only of fields an event may lack. For an event without them the
 * segment comes out empty, and the delivery is dead-lettered rather than sent to another
 * URL (`…/callbacks/` for `…/callbacks/<number>`). That is often what the administrator
 * wants (`["{extensionNumber}"]` is the commonest REST shape), so `validate` warns, the file
 * stays valid, and the warning says first what happens: text of its own in the segment
 * would change the receiver's URL, so it is offered only for a receiver that accepts it.
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
    const without = fields.length === 1 ? `without ${fields[0]}` : "with none of them";
    return [
      {
        path,
        message:
          `${displayPath(path)} is made only of fields an event may lack (${lacking}): an ` +
          `event ${without} is not sent but dead-lettered as EMPTY_PATH_ARGUMENT (see ` +
          "hookswitch dlq list), as its segment would be empty; if the receiver accepts a " +
          `segment with text of its own, such as "n-{${fields[0]}}", that is never empty`,
      },
    ];
  });
}
