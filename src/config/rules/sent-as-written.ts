/**
 * Text sent as written where the writer most likely meant something else: a path argument
 * that is a field's bare, camel-case name (`serviceUuid` goes out as that word, not as the
 * UUID), a `/` in a path argument's own text (sent as %2F inside one segment, not as a second
 * segment), a placeholder in a `{value: …}` constant (sent braces and all), and a reference
 * or placeholder in a request key (keys are sent as written). Each is a valid request a
 * receiver might want, so `validate` warns and the file stays valid; `render` shows the
 * result.
 */
import type { RawIntegration } from "../parse/raw.js";
import { isFieldName, placeholderNames } from "../placeholders.js";
import { literalText, parseReferences } from "../secrets.js";
import { displayPath, type PathSegment } from "../text.js";
import type { RuleProblem } from "./rules.js";

export function textSentAsWritten(raw: RawIntegration): RuleProblem[] {
  return [...pathArgumentSlips(raw), ...placeholdersInConstants(raw), ...keysSentAsWritten(raw)];
}

function pathArgumentSlips(raw: RawIntegration): RuleProblem[] {
  return (raw.webhook.pathArguments ?? []).flatMap((text, i): RuleProblem[] => {
    const path: PathSegment[] = ["webhook", "pathArguments", i];
    const where = displayPath(path);
    // `account`, `event` and `name` are words a URL may hold as such; `serviceUuid` is not.
    if (isFieldName(text) && /[A-Z]/.test(text)) {
      return [
        {
          path,
          message: `${where}: ${text} is sent as the word ${text}; to send the event's ${text}, write "{${text}}"`,
        },
      ];
    }
    if (!ownText(text).some((literal) => literal.includes("/"))) return [];
    return [
      {
        path,
        message: `${where}: its "/" is sent as %2F, inside one path segment; to add a segment, give each part a path argument of its own`,
      },
    ];
  });
}

/** The text written as such, outside `${…}` references (whose values are not known here). */
function ownText(text: string): string[] {
  const parsed = parseReferences(text);
  return parsed.ok ? literalText(parsed.segments) : [];
}

function placeholdersInConstants(raw: RawIntegration): RuleProblem[] {
  return Object.entries(raw.webhook.fields ?? {}).flatMap(([key, spec]): RuleProblem[] => {
    if (typeof spec !== "object" || !("value" in spec) || typeof spec.value !== "string") {
      return [];
    }
    const fields = placeholderNames(spec.value).filter(isFieldName);
    if (fields.length === 0) return [];
    const path: PathSegment[] = ["webhook", "fields", key, "value"];
    return [
      {
        path,
        message: `${displayPath(path)}: {${fields[0]}} is sent as written, braces and all, as a value is sent unchanged; to fill it in, write {template: …} instead of {value: …}`,
      },
    ];
  });
}

/** A request key is sent as written: no secret reference or placeholder is read in it. */
function keysSentAsWritten(raw: RawIntegration): RuleProblem[] {
  return Object.keys(raw.webhook.fields ?? {}).flatMap((key): RuleProblem[] => {
    const parsed = parseReferences(key);
    const reference = parsed.ok && parsed.segments.some((s) => s.kind !== "text");
    const field = placeholderNames(key).find(isFieldName);
    if (!reference && field === undefined) return [];
    const what = reference ? "a ${…} reference" : `the placeholder {${field}}`;
    const path: PathSegment[] = ["webhook", "fields", key];
    return [
      {
        path,
        onKey: true,
        message: `${displayPath(path)}: this request key is sent as written, ${what} included, as keys are never filled in; write the key the receiver expects`,
      },
    ];
  });
}
