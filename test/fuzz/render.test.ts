import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { renderRequest } from "../../src/delivery/render.js";
import { makeEvent, makeIntegration, requestOf } from "../support/integration.js";

// Extends test/delivery/render.property.test.ts (user fields in headers and path) to every
// other event field, to bodies in all three formats, and to auth values.
const now = new Date("2026-11-28T17:00:05Z");
const text = fc.oneof(
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.constantFrom("\r\n", "\u2028", "&a=b", "=", "+", "%00", '"', "\\", "__proto__"),
);

const eventFrom = (account: string, name: string, friendly: string, id: string) =>
  makeEvent({
    id,
    data: {
      account,
      service: { type: "mycloudpbx", uuid: "u-1", name, friendlyName: friendly },
    },
  });

const headerSafe = (value: string) => {
  expect(value).not.toMatch(/[\r\n\0]/);
  expect(value).toMatch(/^[\t\x20-\x7e\x80-\xff]*$/);
};

describe("renderRequest with arbitrary service, account and id values", () => {
  const headers = { "X-Who": "{account}/{serviceName}/{serviceFriendlyName}", "X-Id": "{eventId}" };

  it.each(["json", "form", "query"] as const)(
    "keeps every header value single-line and the %s payload exact",
    (format) => {
      const integration = makeIntegration({
        webhook: { format, method: format === "query" ? "GET" : "POST", headers },
      });
      fc.assert(
        fc.property(text, text, text, text, (account, name, friendly, id) => {
          const req = requestOf(
            renderRequest(integration, eventFrom(account, name, friendly, id), now),
          );
          for (const value of Object.values(req.headers)) headerSafe(value);
          const payload =
            format === "json"
              ? (JSON.parse(req.body ?? "null") as Record<string, unknown>)
              : Object.fromEntries(
                  new URLSearchParams(
                    format === "form" ? (req.body ?? "") : new URL(req.url).search,
                  ),
                );
          expect(payload.account).toBe(account);
          expect(payload.serviceFriendlyName).toBe(friendly);
          expect(payload.eventId).toBe(id);
          expect(new URL(req.url).host).toBe("crm.example.com");
        }),
        { numRuns: 200 },
      );
    },
  );

  it("keeps basic and token credentials single-line whatever they hold", () => {
    fc.assert(
      fc.property(text, text, (user, secret) => {
        for (const auth of [
          { type: "basic" as const, username: user, password: secret },
          { type: "token" as const, token: secret },
        ]) {
          const req = requestOf(
            renderRequest(makeIntegration({ webhook: { auth } }), makeEvent(), now),
          );
          for (const value of Object.values(req.headers)) headerSafe(value);
        }
      }),
      { numRuns: 200 },
    );
  });
});
