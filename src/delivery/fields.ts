/**
 * Field values (README.md, "Field values"): what each field name means for one event, in JSON
 * and as text (query, form, templates, headers, path arguments), and `{field}` templates.
 */
import { PLACEHOLDER, isFieldName } from "../config/placeholders.js";
import type { FieldName, TextRange } from "../config/types.js";
import type { PbxEvent } from "../events/types.js";
import { isoTimeMemo } from "./iso-time.js";
import { checkSize, type SizeBound } from "./request-size.js";

/** A field's value in a JSON body: missing values are null. */
export type JsonFieldValue = string | boolean | null;

/** An event may write a value it lacks as null or leave it out: both mean "missing". */
type Extractor = (event: PbxEvent, now: Date) => string | boolean | undefined | null;

/** Renders happen in time order: every integration's `dateTime` shares one memory. */
const isoTime = isoTimeMemo();

const EXTRACTORS: Record<FieldName, Extractor> = {
  extensionNumber: (e) => e.data.user.extension,
  name: (e) => e.data.user.name,
  outboundPhoneNumber: (e) => e.data.user.outboundNumber,
  hasVoicemail: (e) => e.data.user.hasVoicemail,
  enabledCalls: (e) => e.data.user.enabledCalls?.join(","),
  dateTime: (_e, now) => isoTime(now),
  serviceUuid: (e) => e.data.service.uuid,
  serviceName: (e) => e.data.service.name,
  serviceFriendlyName: (e) => e.data.service.friendlyName,
  serviceType: (e) => e.data.service.type,
  account: (e) => e.data.account,
  event: (e) => e.type,
  eventId: (e) => e.id,
  eventTime: (e) => e.time,
};

/** The field's value in a JSON body (`hasVoicemail` a boolean, a missing value null). */
export function jsonFieldValue(field: FieldName, event: PbxEvent, now: Date): JsonFieldValue {
  return EXTRACTORS[field](event, now) ?? null;
}

/**
 * The field's value as text (`hasVoicemail` "true"/"false"), or undefined when the event
 * lacks it: a query or form leaves it out, a template puts nothing.
 */
export function textFieldValue(field: FieldName, event: PbxEvent, now: Date): string | undefined {
  const value = EXTRACTORS[field](event, now);
  return value === undefined || value === null ? undefined : String(value);
}

export type CompiledTemplate = (event: PbxEvent, now: Date) => string;

type TemplatePart = string | { field: FieldName };

/**
 * Splits a template into literal and field parts; a `{name}` that is not a field stays
 * literal text (the loader rejects it). `literals` are stretches of its text
 * that are not template (a secret's value, an escaped `${`): no placeholder is read there.
 */
function templateParts(template: string, literals: readonly TextRange[] = []): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let literal = "";
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    const name = match[1] ?? "";
    const end = match.index + match[0].length;
    literal += template.slice(last, match.index);
    last = end;
    if (isFieldName(name) && !literals.some(([from, to]) => from < end && match.index < to)) {
      if (literal) parts.push(literal);
      parts.push({ field: name });
      literal = "";
    } else {
      literal += match[0];
    }
  }
  literal += template.slice(last);
  if (literal) parts.push(literal);
  return parts;
}

/** The fields a template reads, in order (a name that stays literal text is not one). */
export function templateFields(template: string, literals?: readonly TextRange[]): FieldName[] {
  return templateParts(template, literals).flatMap((part) =>
    typeof part === "string" ? [] : [part.field],
  );
}

/**
 * Splits a template once; rendering then only concatenates. A template that repeats fields
 * could make more text than any request may hold (100,000 `{name}` of a long name): each
 * piece is measured before it is added, and past `bound` the rendering throws
 * `RequestTooLargeError` before it builds the text. A constant is the file's own text,
 * which the file size limit bounds.
 */
export function compileTemplate(
  template: string,
  literals: readonly TextRange[] | undefined,
  bound: SizeBound,
): CompiledTemplate {
  const parts = templateParts(template, literals);
  if (parts.every((part) => typeof part === "string")) {
    const constant = parts.join("");
    return () => constant;
  }
  return (event, now) => {
    let out = "";
    for (const part of parts) {
      const text = typeof part === "string" ? part : (textFieldValue(part.field, event, now) ?? "");
      checkSize(out.length + text.length, bound);
      out += text;
    }
    return out;
  };
}
