/**
 * Masks secrets in a request before it is shown or stored (render output, dead letters).
 * Secrets never leave hookswitch except on the wire to the receiver.
 */
import type { WebhookRequest } from "./types.js";

export const MASK = "****";

/**
 * Replaces every secret value — as is, URL-encoded, form-encoded and JSON-escaped — with
 * `****` in the URL, header values and body. The Authorization value is masked whole
 * (its scheme kept): base64 of `user:password` does not contain either secret verbatim.
 * `webhook-signature` is derived from the signing secret, so it is masked too.
 */
export function maskRequest(req: WebhookRequest, secretValues: readonly string[]): WebhookRequest {
  const forms = secretForms(secretValues);
  const mask = (text: string) => forms.reduce((out, form) => out.split(form).join(MASK), text);
  // Entries, not assignments: a header named "__proto__" stays a header.
  const headers = Object.fromEntries(
    Object.entries(req.headers).map(([name, value]) => [
      name,
      maskHeader(name.toLowerCase(), value, mask),
    ]),
  );
  return {
    method: req.method,
    url: mask(req.url),
    headers,
    body: req.body === null ? null : mask(req.body),
  };
}

function maskHeader(lowerName: string, value: string, mask: (text: string) => string): string {
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
  return mask(value);
}

/** Every way a secret can appear in a request, longest first so a longer secret wins. */
function secretForms(secretValues: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const secret of secretValues) {
    if (!secret) continue;
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
    forms.add(new URLSearchParams({ s: secret }).toString().slice(2));
    forms.add(JSON.stringify(secret).slice(1, -1));
    forms.add(Buffer.from(secret, "utf8").toString("latin1"));
  }
  return [...forms].filter((form) => form.length > 0).sort((a, b) => b.length - a.length);
}
