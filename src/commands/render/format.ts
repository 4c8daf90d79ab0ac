/** The rendered request as `render` prints it: like an HTTP request, or as JSON (`--json`). */
import type { WebhookRequest } from "../../delivery/types.js";

/**
 * Header values are byte strings (non-ASCII text as UTF-8 bytes, one character each);
 * written back as text, they print exactly the bytes that go on the wire.
 */
function displayHeaders(headers: Record<string, string>): [string, string][] {
  return Object.entries(headers).map(([name, value]) => [
    name,
    /[^\t\x20-\x7e]/.test(value) ? Buffer.from(value, "latin1").toString("utf8") : value,
  ]);
}

/** Like an HTTP request: request line, headers, blank line, body. */
export function formatText(request: WebhookRequest): string {
  const lines = [`${request.method} ${request.url}`];
  for (const [name, value] of displayHeaders(request.headers)) lines.push(`${name}: ${value}`);
  lines.push("");
  if (request.body !== null) lines.push(request.body);
  return `${lines.join("\n")}\n`;
}

export function formatJson(request: WebhookRequest): string {
  const { method, url, body } = request;
  const headers = Object.fromEntries(displayHeaders(request.headers));
  return `${JSON.stringify({ method, url, headers, body }, null, 2)}\n`;
}
