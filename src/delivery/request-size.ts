/**
 * The largest request hookswitch renders. Templates repeat event fields, so without a cap a
 * field template of 100,000 `{name}` placeholders and an event with a 900 KB name would make
 * a body of 90 GB; rendering counts as it builds and stops before a part passes its cap.
 *
 * The caps are in characters of the rendered text (JavaScript string length), compared
 * before each piece is added, so no text far over a cap is ever built (a form or query is
 * checked once more after encoding, which can make it up to nine times as long, and a
 * header's non-Latin-1 text is encoded after the check).
 * - Body: 2 MiB. An event is at most 960 KiB (events/parse.ts), and the default payload
 *   carries each of its values once: twice the largest event leaves room for escaping and
 *   for templates that repeat a field or two, and is far beyond any receiver's need.
 * - URL: 64 KiB, path arguments and query payload included: most servers refuse a request
 *   line of 8 to 16 KiB (414), so nothing a receiver accepts is refused.
 * - Custom headers: 64 KiB of names and values together, for the same reason (servers
 *   refuse a header section over 8 to 64 KiB).
 */

export const MAX_BODY_CHARS = 2 * 1024 * 1024;
export const MAX_URL_CHARS = 64 * 1024;
export const MAX_HEADER_CHARS = 64 * 1024;

/** A part of the request and the cap it may not pass. */
export interface SizeBound {
  /** What is capped, as the reason names it: `webhook.fields.note`, `the body`. */
  what: string;
  max: number;
}

/**
 * The event would make a part of the request larger than its cap. Permanent: the same
 * event renders the same way at every attempt, so its delivery is dead-lettered unsent.
 */
export class RequestTooLargeError extends Error {
  override name = "RequestTooLargeError";
  constructor(bound: SizeBound) {
    super(`${bound.what} would be larger than ${sizeText(bound.max)} for this event`);
  }
}

/** Throws when `length` is past the bound: the check before each piece is added. */
export function checkSize(length: number, bound: SizeBound): void {
  if (length > bound.max) throw new RequestTooLargeError(bound);
}

/**
 * What to do about a refused request, said the same by a dead letter and by `render`: the
 * event's values (a long name in a query, say) or the integration's templates make it.
 */
export const TOO_LARGE_ADVICE =
  "if such events are to be sent, send their long values in a JSON body rather than a URL " +
  "or header, or make the integration's templates repeat fewer fields";

/** "2 MiB", "64 KiB", or a count of characters: a cap as messages name it. */
export function sizeText(chars: number): string {
  if (chars % (1024 * 1024) === 0) return `${chars / (1024 * 1024)} MiB`;
  return chars % 1024 === 0 ? `${chars / 1024} KiB` : `${chars} characters`;
}
