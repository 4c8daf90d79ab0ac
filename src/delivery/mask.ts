/**
 * The request as output shows it (render output, dead letters): secrets never leave
 * hookswitch except on the wire to the receiver.
 *
 * Secrets are masked where they were put, not found by their text afterwards: where a
 * reference fed the URL, a header or the body, the integration keeps a twin of its webhook
 * with `SECRET_MARK` in the reference's place (`Integration.shown`), and the twin is
 * rendered for the same event, time and webhook-id. Searching the request for each secret's
 * text missed the forms that URL parsing gives it (a lower-cased host, a dropped default
 * port, percent-encoding of its own) and masked every other occurrence of a short one.
 */
import { startOf } from "../config/text.js";
import type { Integration } from "../config/types.js";
import { OPAQUE_URL, SECRET_MARK } from "../config/references.js";
import type { PbxEvent } from "../events/types.js";
import { printable } from "../output/printable.js";
import { echoNeedles, type Needle } from "./echo-forms.js";
import { decodedView } from "./decoded-view.js";
import { compileRenderer } from "./render.js";
import { RequestTooLargeError } from "./request-size.js";
import type { WebhookRequest } from "./types.js";

export const MASK = "****";

/** `sent` as output may show it; `sent` was rendered for `event` at `now`. */
export function maskedRequest(
  integration: Integration,
  sent: WebhookRequest,
  event: PbxEvent,
  now: Date,
): WebhookRequest {
  const twin = integration.shown?.webhook;
  if (!twin || twin === integration.webhook) return maskMarks(sent);
  const shown = renderTwin({ ...integration, webhook: twin }, event, now, sent);
  // The twin's path arguments are the integration's with marks for secrets: a mark is text,
  // so the twin comes out empty only where the request did, and then nothing was sent.
  if ("unsendable" in shown) return { method: sent.method, url: MASK, headers: {}, body: null };
  return maskMarks(shown);
}

/**
 * The twin's request, or none when it is too large to render: a mark can be longer than the
 * secret it stands for, so a request just within the caps may have a twin just past them.
 */
function renderTwin(twin: Integration, event: PbxEvent, now: Date, sent: WebhookRequest) {
  try {
    return compileRenderer(twin)(event, now, sent.headers["webhook-id"]);
  } catch (error) {
    if (error instanceof RequestTooLargeError) return { unsendable: error.message };
    throw error;
  }
}

/**
 * Puts `****` for every mark. The Authorization value is masked whole (its scheme kept):
 * base64 of `user:password` holds neither secret as text. `webhook-signature` is derived
 * from the signing secret, so its signatures are masked too.
 */
export function maskMarks(request: WebhookRequest): WebhookRequest {
  // Entries, not assignments: a header named "__proto__" stays a header.
  const headers = Object.fromEntries(
    Object.entries(request.headers).map(([name, value]) => [
      name,
      maskHeader(name.toLowerCase(), value),
    ]),
  );
  return {
    method: request.method,
    url: unmarked(opaqueBaseMasked(request.url)),
    headers,
    body: request.body === null ? null : unmarked(request.body),
  };
}

function maskHeader(lowerName: string, value: string): string {
  if (lowerName === "authorization") {
    const scheme = /^[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]* /.exec(value)?.[0] ?? "";
    return `${scheme}${MASK}`;
  }
  if (lowerName === "webhook-signature") {
    return value
      .split(" ")
      .map((sig) => `${sig.slice(0, sig.indexOf(",") + 1)}${MASK}`)
      .join(" ");
  }
  return unmarked(value);
}

function unmarked(text: string): string {
  return text.includes(SECRET_MARK) ? text.split(SECRET_MARK).join(MASK) : text;
}

/** A URL that was a secret as a whole shows as `****`, then its path arguments and query. */
function opaqueBaseMasked(url: string): string {
  const base = OPAQUE_URL.slice(0, -1); // path arguments follow the base without its "/"
  if (!url.startsWith(base)) return url;
  const rest = url.slice(base.length);
  return MASK + (rest === "/" ? "" : rest.startsWith("/?") ? rest.slice(1) : rest);
}

/** How much of a redirect's Location a dead letter shows. */
const SHOWN_LOCATION_CHARS = 300;

/**
 * A 3xx answer's Location as output shows it: its secrets masked as in the answer's body
 * (a receiver may redirect to the URL it got, query and all), printable, and cut short.
 */
export function shownLocation(integration: Integration, location: string): string {
  return startOf(printable(maskEchoedSecrets(integration, location)), SHOWN_LOCATION_CHARS);
}

/**
 * `text` (the start of a receiver's answer) with every secret the integration sent masked.
 * A receiver may quote what it got ("invalid token tok-…", "Cannot POST /hook?key=…"); the
 * dead letter keeps its answer beside the masked request, so it must not hand them back.
 * Each secret, and each part of a secret URL, is looked for in the answer read with its
 * escapes undone (JSON's, a URL's, HTML's: decoded-view.ts), in any case of letters, and as
 * it is and as a form writes it (`echoNeedles`); one cut off at the end of the kept text
 * loses its start.
 */
export function maskEchoedSecrets(integration: Integration, text: string): string {
  const { lowered, quoted } = echoNeedles(integration);
  let masked = maskRanges(text, rangesInDecoded(text, lowered));
  for (const { text: needle } of quoted) {
    if (masked.includes(needle)) masked = masked.split(needle).join(MASK);
  }
  const cut = cutAtEnd(masked, quoted);
  return cut === undefined ? masked : masked.slice(0, -cut) + MASK;
}

/**
 * Where the needles (in lower case) occur in `answer` read with its escapes undone and in
 * lower case, whole or cut off at its end, as ranges of `answer` itself.
 */
function rangesInDecoded(answer: string, needles: readonly Needle[]): [number, number][] {
  const { text, starts } = decodedView(answer);
  const ranges: [number, number][] = [];
  const rangeOf = (at: number, length: number): [number, number] => [
    starts[at] as number,
    starts[at + length] as number,
  ];
  for (const { text: needle } of needles) {
    for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1)) {
      ranges.push(rangeOf(at, needle.length));
    }
  }
  // Up to the answer's end: an escape cut short there (`\u00`, `%2`) is not in `text`.
  const cut = cutAtEnd(text, needles);
  if (cut !== undefined) ranges.push([starts[text.length - cut] as number, answer.length]);
  return ranges;
}

/** How many characters at the end of `text` are the start of a needle, at its shortest kept. */
function cutAtEnd(text: string, needles: readonly Needle[]): number | undefined {
  for (const { text: needle, shortestStart } of needles) {
    for (let length = needle.length - 1; length >= shortestStart; length--) {
      if (text.endsWith(needle.slice(0, length))) return length;
    }
  }
  return undefined;
}

/** `text` with each range, overlapping ones joined, replaced by `****`. */
function maskRanges(text: string, ranges: [number, number][]): string {
  if (ranges.length === 0) return text;
  ranges.sort((a, b) => a[0] - b[0]);
  let masked = "";
  let from = 0;
  for (const [start, end] of ranges) {
    if (end <= from) continue; // within the last range masked
    // One that begins within the last range masked only takes that range further.
    if (start >= from) masked += text.slice(from, start) + MASK;
    from = end;
  }
  return masked + text.slice(from);
}
