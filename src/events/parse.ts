/**
 * Bytes from NATS (or a file) to a validated PBX event. Never throws: a message that is
 * not an event is a reason to dead-letter it, not a crash.
 */
import type { PbxEvent } from "./types.js";
import { describeSchemaErrors, everyErrorValidator, validatePbxEvent } from "./schema.js";
import { positionAt } from "../config/text.js";

/**
 * Events larger than this are refused before parsing (and dead-lettered with the start of
 * their text). A delivery record holds the event, its fields and up to 100 attempts, and
 * must fit in one message of NATS's default `max_payload`, 1 MiB: 64 KiB are left for them.
 */
export const MAX_EVENT_BYTES = 1024 * 1024 - 64 * 1024;
/**
 * Events nested deeper than this are refused before parsing: a value that deep could be
 * parsed but not serialised again (stack overflow), so it could never be stored in a
 * delivery record or a dead letter. Real events nest four levels.
 */
const MAX_EVENT_DEPTH = 64;

export type ParseResult =
  { ok: true; event: PbxEvent; raw: unknown } | { ok: false; reason: string; raw: unknown };

const RAW_PREFIX = 1024;
/**
 * Records keep an event as `JSON.stringify` writes it again, and a number can come out
 * more than five times longer than it came in (`1e20` is written with 21 digits; from 1e21
 * on, exponents stay); whitespace and escapes only shrink. An event shorter than this
 * cannot pass the limit when stored, so only longer ones (rare: real events are about a
 * kilobyte) are measured again.
 */
const MAY_GROW_PAST_LIMIT = Math.floor(MAX_EVENT_BYTES / 6);
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * JSON.parse's words on one line (its quote of the text keeps the text's line breaks) and,
 * where it gives an offset only, the line and column an editor shows.
 */
export function jsonProblem(err: unknown, text: string): string {
  const words = (err instanceof Error ? err.message : String(err)).replace(/\s+/g, " ").trim();
  const offset = /at position (\d+)$/.exec(words)?.[1];
  if (offset === undefined) return words;
  const { line, column } = positionAt(text, Number(offset));
  return `${words} (line ${line}, column ${column})`;
}

/**
 * Parses and validates one event. `raw` is the parsed JSON when there was some, else the
 * text (for the dead-letter queue); it is the same object as `event` when valid.
 */
export function parseEvent(input: Uint8Array | string): ParseResult {
  try {
    const text = toText(input);
    if (typeof text !== "string") return text;
    if (nestingDeeperThan(text, MAX_EVENT_DEPTH)) {
      return {
        ok: false,
        reason: `event nested deeper than ${MAX_EVENT_DEPTH} levels`,
        raw: text.slice(0, RAW_PREFIX),
      };
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      return { ok: false, reason: `not valid JSON: ${jsonProblem(err, text)}`, raw: text };
    }
    if (text.length > MAY_GROW_PAST_LIMIT) {
      const stored = Buffer.byteLength(JSON.stringify(raw), "utf8");
      if (stored > MAX_EVENT_BYTES) {
        return {
          ok: false,
          reason: `event too large: ${stored} bytes as stored (numbers written out in full), the limit is ${MAX_EVENT_BYTES} bytes`,
          raw: text.slice(0, RAW_PREFIX),
        };
      }
    }
    return checkEvent(raw, text.length);
  } catch (err) {
    // Defensive: nothing above should throw, but a bad message must never crash the reader.
    return { ok: false, reason: `could not read the event: ${String(err)}`, raw: null };
  }
}

/**
 * Validates an event that is already parsed JSON (one kept in a delivery record, which
 * `parseEvent` accepted when it arrived): no second serialisation and parse. `length` is its
 * text's, when known: an invalid event of unknown length has every problem described.
 */
export function checkEvent(raw: unknown, length = 0): ParseResult {
  if (validatePbxEvent(raw)) return { ok: true, event: raw as PbxEvent, raw };
  return { ok: false, reason: reasonOf(raw, length), raw };
}

/**
 * Invalid events whose text is at most this long (characters) have every schema error
 * looked for; longer ones their first: real events are about a kilobyte, and finding every
 * error of a hostile one of 950 KB took up to 0.3 s.
 */
export const FULLY_CHECKED_LENGTH = 16 * 1024;

/** Why the event is invalid: every problem of an event of `length` characters, or the first. */
function reasonOf(raw: unknown, length: number): string {
  const first = validatePbxEvent.errors;
  if (length <= FULLY_CHECKED_LENGTH) {
    const findEveryError = everyErrorValidator();
    if (!findEveryError(raw)) return describeSchemaErrors(findEveryError.errors);
  }
  return `${describeSchemaErrors(first)} (the first problem found: an event longer than ${FULLY_CHECKED_LENGTH / 1024} KiB is not searched for more)`;
}

function toText(input: Uint8Array | string): string | { ok: false; reason: string; raw: unknown } {
  if (typeof input === "string") {
    // A UTF-16 unit is at most 3 UTF-8 bytes: count bytes only when it could matter.
    const tooBig =
      input.length > MAX_EVENT_BYTES ||
      (input.length * 3 > MAX_EVENT_BYTES && Buffer.byteLength(input, "utf8") > MAX_EVENT_BYTES);
    return tooBig ? oversized(Buffer.byteLength(input, "utf8"), input.slice(0, RAW_PREFIX)) : input;
  }
  if (input.byteLength > MAX_EVENT_BYTES) {
    return oversized(input.byteLength, Buffer.from(input.subarray(0, RAW_PREFIX)).toString("utf8"));
  }
  try {
    return decoder.decode(input);
  } catch {
    return { ok: false, reason: "not valid JSON: the message is not UTF-8 text", raw: null };
  }
}

/** An oversized message keeps only its start, enough to recognise it in the dead-letter queue. */
function oversized(bytes: number, start: string) {
  return {
    ok: false as const,
    reason: `event too large: ${bytes} bytes, the limit is ${MAX_EVENT_BYTES} bytes`,
    raw: start,
  };
}

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACKET = 91;
const OPEN_BRACE = 123;
const CLOSE_BRACKET = 93;
const CLOSE_BRACE = 125;

/** True when brackets outside strings nest deeper than `limit`; one pass, no allocation. */
export function nestingDeeperThan(text: string, limit: number): boolean {
  if (openingBracketsAtMost(text, limit)) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) depth--;
  }
  return false;
}

/**
 * Nesting needs an opening bracket per level: an event with few brackets in all (the
 * common case) cannot nest too deep, and `indexOf` finds them much faster than a scan.
 */
function openingBracketsAtMost(text: string, limit: number): boolean {
  let count = 0;
  for (const bracket of ["{", "["]) {
    for (let at = text.indexOf(bracket); at !== -1; at = text.indexOf(bracket, at + 1)) {
      if (++count > limit) return false;
    }
  }
  return true;
}
