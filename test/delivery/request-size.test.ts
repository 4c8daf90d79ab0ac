import { describe, expect, it } from "vitest";
import type { Webhook } from "../../src/config/types.js";
import { renderRequest } from "../../src/delivery/render.js";
import { RequestTooLargeError } from "../../src/delivery/request-size.js";
import { makeEvent, makeIntegration, requestOf } from "../support/integration.js";

const now = new Date("2026-11-28T17:00:05.900Z");
const MiB = 1024 * 1024;
const named = (length: number, char = "n") => makeEvent({ user: { name: char.repeat(length) } });
const template = (text: string) => ({ kind: "template" as const, template: text });
const name = { kind: "field" as const, field: "name" as const };
const render = (webhook: Partial<Webhook>, length: number, char?: string) =>
  renderRequest(makeIntegration({ webhook }), named(length, char), now);

describe("a request past its cap is refused before it is built", () => {
  it.each<[string, Partial<Webhook>, number, string, string?]>([
    [
      "a template of 100,000 names",
      { fields: { n: template("{name}".repeat(100_000)) } },
      900_000,
      "webhook.fields.n would be larger than 2 MiB",
    ],
    [
      "three fields of a 900 KB name",
      { fields: { a: name, b: name, c: name } },
      900_000,
      "the body would be larger than 2 MiB",
    ],
    [
      "a form of three 900 KB names",
      { format: "form", fields: { a: name, b: name, c: name } },
      900_000,
      "the body would be larger than 2 MiB",
    ],
    [
      "a query of a 70 KB name",
      { method: "GET", format: "query", fields: { a: name } },
      70_000,
      "the query would be larger than 64 KiB",
    ],
    [
      "a query template of a 70 KB name",
      { method: "GET", format: "query", fields: { a: template("{name}") } },
      70_000,
      "webhook.fields.a would be larger than 64 KiB",
    ],
    [
      "a path argument of a 70 KB name",
      { pathArguments: ["{name}"] },
      70_000,
      "webhook.pathArguments[0] would be larger than 64 KiB",
    ],
    [
      "a path argument of 20,000 é, 120 KB encoded",
      { pathArguments: ["{name}"] },
      20_000,
      "the URL would be larger than 64 KiB",
      "é",
    ],
    [
      "a header of a 70 KB name",
      { headers: { "X-A": "{name}" } },
      70_000,
      "webhook.headers.X-A would be larger than 64 KiB",
    ],
    [
      "two headers of a 40 KB name",
      { headers: { "X-A": "{name}", "X-B": "{name}" } },
      40_000,
      "the custom headers would be larger than 64 KiB",
    ],
  ])("%s", (_what, webhook, length, message, char = "n") => {
    expect(() => render(webhook, length, char)).toThrow(RequestTooLargeError);
    expect(() => render(webhook, length, char)).toThrow(`${message} for this event`);
  });
});

describe("a request within its caps is sent whole", () => {
  it("sends a body of exactly 2 MiB", () => {
    // {"n":"…"}: 8 characters around the name.
    const request = requestOf(render({ fields: { n: template("{name}") } }, 2 * MiB - 8));
    expect(request.body).toHaveLength(2 * MiB);
  });

  it("sends a form body of exactly 2 MiB, and refuses one character more", () => {
    // n=…: 2 characters before the name.
    const form = (length: number) => render({ format: "form", fields: { n: name } }, length);
    expect(requestOf(form(2 * MiB - 2)).body).toHaveLength(2 * MiB);
    expect(() => form(2 * MiB - 1)).toThrow("the body would be larger than 2 MiB");
  });

  it("sends custom headers of exactly 64 KiB, names counted, and refuses one character more", () => {
    // "X-A" and the name: the 64 KiB of custom headers are names and values together.
    const headers = (length: number) => render({ headers: { "X-A": "{name}" } }, length);
    expect(requestOf(headers(64 * 1024 - 3)).headers["X-A"]).toHaveLength(64 * 1024 - 3);
    expect(() => headers(64 * 1024 - 2)).toThrow("the custom headers would be larger than 64 KiB");
  });

  it("sends a JSON body of exactly 2 MiB, and refuses one character more", () => {
    // {"n":"…"}: 8 characters around the name, the closing brace counted too.
    const json = (length: number) => render({ fields: { n: name } }, length);
    expect(requestOf(json(2 * MiB - 8)).body).toHaveLength(2 * MiB);
    expect(() => json(2 * MiB - 7)).toThrow("the body would be larger than 2 MiB");
  });

  it.each<[string, Partial<Webhook>, number]>([
    // https://crm.example.com/api/callbacks is 37 characters; then "/" and the name.
    ["with a path argument", { pathArguments: ["{name}"] }, 64 * 1024 - 38],
    // …then "?n=" and the name.
    ["with a query", { method: "GET", format: "query", fields: { n: name } }, 64 * 1024 - 40],
  ] as const)(
    "sends a URL of exactly 64 KiB %s, and refuses one character more",
    (_w, webhook, length) => {
      expect(requestOf(render(webhook, length)).url).toHaveLength(64 * 1024);
      expect(() => render(webhook, length + 1)).toThrow("the URL would be larger than 64 KiB");
    },
  );

  it("sends the default payload of a 900 KB name", () => {
    expect(requestOf(render({}, 900_000)).body).toContain("n".repeat(900_000));
  });

  it("sends a URL with a 60 KB path argument", () => {
    expect(requestOf(render({ pathArguments: ["{name}"] }, 60_000)).url).toBe(
      `https://crm.example.com/api/callbacks/${"n".repeat(60_000)}`,
    );
  });
});
