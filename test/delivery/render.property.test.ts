import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonText, renderRequest } from "../../src/delivery/render.js";
import { makeEvent, makeIntegration, requestOf, SERVICE_UUID } from "../support/integration.js";

const now = new Date("2026-11-28T17:00:05Z");
// Any text, including control characters, separators, astral unicode and lone surrogates.
const text = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: fc.nat(0xffff).map((unit) => String.fromCharCode(unit)), maxLength: 40 }),
  fc.constantFrom(".", "..", "/", "?", "#", "\r\n", "%2e%2e", "a/../b", "%0d%0a"),
);

const integration = makeIntegration({
  webhook: {
    url: "https://h.example/base/?q=1",
    method: "GET",
    format: "query",
    pathArguments: ["{name}", "ext-{extensionNumber}", "{outboundPhoneNumber}"],
    headers: { "X-User": "{name} {extensionNumber}", "X-Calls": "{enabledCalls}" },
    auth: { type: "none" },
  },
});
/** The same headers without path arguments, which an empty value leaves with no request. */
const headersOnly = { ...integration, webhook: { ...integration.webhook, pathArguments: [] } };
const eventWith = (name: string, extension: string, outboundNumber: string, calls: string[]) =>
  makeEvent({ user: { name, extension, outboundNumber, enabledCalls: calls } });

describe("renderRequest with any event content", () => {
  it("never puts CR, LF or a character a header cannot carry in a header value", () => {
    fc.assert(
      fc.property(text, text, text, fc.array(text, { maxLength: 3 }), (name, ext, num, calls) => {
        const req = requestOf(renderRequest(headersOnly, eventWith(name, ext, num, calls), now));
        for (const value of Object.values(req.headers)) {
          expect(value).not.toMatch(/[\r\n]/);
          expect(value).toMatch(/^[\t\x20-\x7e\x80-\xff]*$/);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("never puts an unencoded / ? or # in a path segment, nor lets one move the path", () => {
    fc.assert(
      fc.property(text, text, text, (name, ext, num) => {
        const rendered = renderRequest(integration, eventWith(name, ext, num, []), now);
        // A segment made of a field alone is empty when the field is: no request at all.
        expect("unsendable" in rendered).toBe(name === "" || num === "");
        if ("unsendable" in rendered) return;
        const req = rendered;
        const [path, query] = req.url.slice("https://h.example".length).split("?");
        expect(query?.startsWith("q=1")).toBe(true);
        const segments = path!.split("/").slice(2);
        expect(segments).toHaveLength(3);
        for (const segment of segments) expect(segment).not.toMatch(/[/?#]/);
        // What a client sends after URL normalisation keeps every segment.
        const parsed = new URL(req.url);
        expect(parsed.host).toBe("h.example");
        expect(parsed.pathname).toBe(path);
        // The text itself, a lone surrogate (no UTF-8 form) read as U+FFFD.
        expect(decodeURIComponent(segments[1]!)).toBe(
          `ext-${ext.replace(/[\ud800-\udfff]/gu, "\ufffd")}`,
        );
      }),
      { numRuns: 1000 },
    );
  });

  it("keeps the service UUID segment readable", () => {
    const req = requestOf(
      renderRequest(
        makeIntegration({ webhook: { pathArguments: ["{serviceUuid}"] } }),
        makeEvent(),
        now,
      ),
    );
    expect(req.url.endsWith(`/${SERVICE_UUID}`)).toBe(true);
  });
});

// Any UTF-16 code units, lone surrogates among them.
const anyUnits = fc.string({
  unit: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)),
  maxLength: 20,
});

describe("jsonText with any text", () => {
  it("writes every string as JSON.stringify does", () => {
    fc.assert(
      fc.property(fc.oneof(text, anyUnits), (value) => {
        expect(jsonText(value)).toBe(JSON.stringify(value));
      }),
      { numRuns: 5000 },
    );
  });
});
