/**
 * `render` prints a request two ways, and the JSON one is compared with the wire
 * (render-wire.test.ts). The text one must say the same: read back, it gives the JSON's
 * method, URL, headers in order and body, for every kind of request render can print.
 */
import { describe, expect, it } from "vitest";
import { formatJson, formatText } from "../../../src/commands/render/format.js";
import { headerValue } from "../../../src/delivery/render.js";
import type { WebhookRequest } from "../../../src/delivery/types.js";

interface Printed {
  method: string;
  url: string;
  headers: [string, string][];
  body: string | null;
}

/** The text output read back: request line, `name: value` lines, a blank line, the body. */
function readText(text: string, hasBody: boolean): Printed {
  expect(text.endsWith("\n")).toBe(true);
  const blank = text.indexOf("\n\n");
  const [requestLine = "", ...headerLines] = text.slice(0, blank).split("\n");
  const [method = "", url = ""] = requestLine.split(" ");
  const rest = text.slice(blank + 2);
  return {
    method,
    url,
    headers: headerLines.map((line) => {
      const colon = line.indexOf(": ");
      return [line.slice(0, colon), line.slice(colon + 2)];
    }),
    body: hasBody ? rest.slice(0, -1) : (expect(rest).toBe(""), null),
  };
}

function readJson(text: string): Printed {
  const parsed = JSON.parse(text) as Omit<Printed, "headers"> & { headers: object };
  return { ...parsed, headers: Object.entries(parsed.headers) as [string, string][] };
}

const json = { "Content-Type": "application/json", "User-Agent": "hookswitch/0.1.0" };
const cases: { name: string; request: WebhookRequest; shown: Record<string, string> }[] = [
  {
    name: "a POST with a JSON body and plain headers",
    request: {
      method: "POST",
      url: "https://crm.example.com/hooks/201?src=pbx",
      headers: { ...json, "webhook-id": "msg_2a" },
      body: '{"extension":"201","name":"Zoë"}',
    },
    shown: { "webhook-id": "msg_2a" },
  },
  {
    name: "a GET whose fields went in the query, no body",
    request: {
      method: "GET",
      url: "https://crm.example.com/users?ext=201&name=Zo%C3%AB%20O%27Brien",
      headers: { "User-Agent": "hookswitch/0.1.0" },
      body: null,
    },
    shown: {},
  },
  {
    name: "non-ASCII header values, sent as UTF-8 bytes, printed as the text they spell",
    request: {
      method: "POST",
      url: "https://[2001:db8::1]:8443/x",
      headers: { ...json, "X-Office": headerValue("Zürich — Nord ✓"), "X-Tab": "a\tb" },
      body: "{}",
    },
    shown: { "X-Office": "Zürich — Nord ✓", "X-Tab": "a\tb" },
  },
  {
    name: "a body of several lines, and one that ends in a line break",
    request: {
      method: "POST",
      url: "http://127.0.0.1:8080/form",
      headers: { "Content-Type": "text/plain" },
      body: "line one\n\nline three\n",
    },
    shown: {},
  },
  {
    name: "an empty body, which is not no body",
    request: { method: "POST", url: "http://127.0.0.1/x", headers: {}, body: "" },
    shown: {},
  },
];

describe("render's text output", () => {
  it.each(cases)("says what its JSON output says: $name", ({ request, shown }) => {
    const fromText = readText(formatText(request), request.body !== null);
    const fromJson = readJson(formatJson(request));
    expect(fromText).toEqual(fromJson);
    expect(fromJson.method).toBe(request.method);
    expect(fromJson.url).toBe(request.url);
    expect(fromJson.body).toBe(request.body);
    expect(fromJson.headers.map(([name]) => name)).toEqual(Object.keys(request.headers));
    for (const [name, value] of Object.entries(shown)) {
      expect(fromJson.headers).toContainEqual([name, value]);
    }
  });
});
