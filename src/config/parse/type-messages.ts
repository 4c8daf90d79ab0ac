/**
 * A value of the wrong type, said with what to write where the file shows what was meant: a
 * bare number for a duration, yes/no for a boolean, digits in quotes for a count, one item
 * for a list. Only such values are echoed: any other is named by its type, as it may be a
 * secret.
 */
import { bracedText, DURATION_HINT, eventListHint, isDurationPath } from "./schema-messages.js";
import type { Mistake } from "./schema-errors.js";
import { describeType, quote, typeWords } from "../text.js";

export function typeMessage({ error, params, path, where }: Mistake): string {
  if (isDurationPath(path)) {
    // A bare number is most often seconds meant: say how to write them.
    const seconds =
      typeof error.data === "number" && Number.isInteger(error.data) && error.data > 0
        ? `: write ${error.data}s for seconds`
        : "";
    return `${where} must be ${DURATION_HINT} (got ${describeType(error.data)})${seconds}`;
  }
  if (params.type === "boolean" && typeof error.data === "string") {
    const word = booleanWordMessage(where, error.data);
    if (word) return word;
  }
  const quotedNumber = quotedWholeNumber(params.type, error.data);
  if (quotedNumber !== undefined) {
    return `${where} must be ${typeWords(params.type as string)} (got "${quotedNumber}": in quotes, it is text): write ${quotedNumber}`;
  }
  const hint = textWanted(params.type)
    ? bracedText(error.data) || quoteHint(error.data)
    : where === "trigger.events"
      ? eventListHint(error.data)
      : where === "webhook.pathArguments"
        ? segmentListHint(error.data)
        : params.type === "object"
          ? colonHint(error.data)
          : "";
  return `${where || "the document"} must be ${typeWords(params.type as string)} (got ${describeType(error.data)})${hint}`;
}

/**
 * `password:S3cret` under `auth:`: with no space after its colon, a key and its value are
 * one text, and the mapping meant is a string. Said without the text, which holds the value.
 */
function colonHint(data: unknown): string {
  if (typeof data !== "string" || !/^[A-Za-z][\w-]*:[^\s/]/.test(data)) return "";
  return ': a key needs a space after its ":", or it and its value are one text (write key: value)';
}

/** `maxInFlight: "16"`: digits in quotes where a count is wanted (no secret is a count). */
function quotedWholeNumber(type: unknown, data: unknown): string | undefined {
  const digits = typeof data === "string" ? data.trim() : "";
  return (type === "integer" || type === "number") && /^\d{1,15}$/.test(digits)
    ? digits
    : undefined;
}

/** `pathArguments: "{serviceUuid}"`: one segment written without its list. */
function segmentListHint(data: unknown): string {
  if (typeof data !== "string" || data.length > 80 || /[\r\n]/.test(data)) return "";
  return `: write [${JSON.stringify(data)}], or a "- " line for each segment`;
}

/**
 * `account: 12345`, `X-Version: 2`: YAML reads an unquoted number or true/false as such,
 * where text is wanted. Quoting it as written keeps what the file says (`"00123"`, not 123).
 */
function quoteHint(data: unknown): string {
  if (typeof data === "number")
    return ": YAML reads it as a number; put it in quotes, as written, to make it text";
  if (typeof data === "boolean")
    return `: YAML reads it as ${String(data)}; put it in quotes to make it text`;
  return "";
}

/** A type error where only text is allowed (a constant's `{name}` would not be filled in). */
function textWanted(type: unknown): boolean {
  return type === "string";
}

/**
 * `enabled: no`: YAML 1.1 read yes/no/on/off/y/n as true and false, and many still expect
 * it; files are YAML 1.2, which reads them as text. Only such a word is echoed: any other
 * string is named by its type, as a value may be a secret.
 */
function booleanWordMessage(where: string, text: string): string | undefined {
  const meant = /^(?:y|yes|on|true)$/i.test(text)
    ? "true"
    : /^(?:n|no|off|false)$/i.test(text)
      ? "false"
      : undefined;
  if (!meant) return undefined;
  const why = /^(?:true|false)$/i.test(text)
    ? "in quotes, it is text"
    : `YAML 1.2 reads ${text} as text, not as ${meant}`;
  return `${where} must be true/false (got ${quote(text)}: ${why}): write ${meant}`;
}
