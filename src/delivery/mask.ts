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
import { echoNeedles } from "./echo-forms.js";
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
 * Each secret is looked for as it is, as it was sent and as answers quote it (`echoNeedles`:
 * encoded, escaped, the parts of a secret URL); one cut off at the end of the kept text
 * loses its start.
 */
export function maskEchoedSecrets(integration: Integration, text: string): string {
  const needles = echoNeedles(integration);
  let masked = text;
  for (const { text: needle } of needles) {
    if (masked.includes(needle)) masked = masked.split(needle).join(MASK);
  }
  for (const { text: needle, shortestStart } of needles) {
    for (let length = needle.length - 1; length >= shortestStart; length--) {
      if (masked.endsWith(needle.slice(0, length))) return masked.slice(0, -length) + MASK;
    }
  }
  return masked;
}
