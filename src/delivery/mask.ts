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
import { compileRenderer } from "./render.js";
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
  const shown = compileRenderer({ ...integration, webhook: twin })(
    event,
    now,
    sent.headers["webhook-id"],
  );
  // The twin's path arguments are the integration's with marks for secrets: a mark is text,
  // so the twin comes out empty only where the request did, and then nothing was sent.
  if ("unsendable" in shown) return { method: sent.method, url: MASK, headers: {}, body: null };
  return maskMarks(shown);
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
 * Fewer characters than this are not looked for in an answer: a secret that short is no
 * secret, and masking each of its occurrences would leave the answer unreadable.
 */
const MIN_ECHOED_CHARS = 4;

/**
 * `text` (the start of a receiver's answer) with every secret the integration sent masked.
 * A receiver may quote what it got ("invalid token tok-…", "Cannot POST /hook?key=…"); the
 * dead letter keeps its answer beside the masked request, so it must not hand them back.
 * Each secret is looked for as it was sent (URL-, form- or JSON-encoded, in the Basic
 * credentials) and as it is; a secret cut off at the end of the kept text loses its start.
 */
export function maskEchoedSecrets(integration: Integration, text: string): string {
  const needles = echoForms(integration);
  let masked = text;
  for (const needle of needles) {
    if (masked.includes(needle)) masked = masked.split(needle).join(MASK);
  }
  for (const needle of needles) {
    for (let length = needle.length - 1; length >= MIN_ECHOED_CHARS; length--) {
      if (masked.endsWith(needle.slice(0, length))) return masked.slice(0, -length) + MASK;
    }
  }
  return masked;
}

/** Every form in which the integration's secrets may come back, longest first. */
function echoForms(integration: Integration): string[] {
  const { auth, signingSecrets } = integration.webhook;
  const secrets = [...(integration.shown?.sentSecrets ?? []), ...signingSecrets];
  if (auth.type === "token") secrets.push(auth.token);
  if (auth.type === "basic") {
    const credentials = Buffer.from(`${auth.username}:${auth.password}`, "utf8");
    secrets.push(auth.password, credentials.toString("base64"));
  }
  // A host that came from a secret (the whole URL, say) is masked in failure messages; a
  // receiver's answer may quote it alone (its Host header), apart from the rest.
  if (integration.shown?.secretHost) {
    const { host, hostname } = new URL(integration.webhook.url);
    secrets.push(host, hostname);
  }
  const forms = new Set<string>();
  for (const secret of secrets) {
    for (const form of [
      secret,
      encodeURIComponent(secret.toWellFormed()),
      new URLSearchParams([["", secret]]).toString().slice(1),
      JSON.stringify(secret).slice(1, -1),
    ]) {
      if (form.length >= MIN_ECHOED_CHARS) forms.add(form);
    }
  }
  return [...forms].sort((a, b) => b.length - a.length);
}
