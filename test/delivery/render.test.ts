import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { FieldName, FieldSpec } from "../../src/config/types.js";
import { headerValue, jsonText, renderRequest } from "../../src/delivery/render.js";
import { webhookId } from "../../src/delivery/webhook-id.js";
import { USER_AGENT } from "../../src/version.js";
import {
  makeEvent,
  makeIntegration,
  requestOf,
  SERVICE_UUID,
  type IntegrationOverrides,
} from "../support/integration.js";

const PACKAGE_VERSION = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  }
).version;

const now = new Date("2026-11-28T17:00:05.900Z");
const NOW_SECONDS = "1795885205";
const event = makeEvent();
const render = (overrides: IntegrationOverrides, e = event) =>
  requestOf(renderRequest(makeIntegration(overrides), e, now));
const field = (name: FieldName): FieldSpec => ({
  kind: "field",
  field: name,
});

describe("renderRequest: formats", () => {
  it("sends every field under its own name as JSON when fields is omitted", () => {
    const req = render({});
    expect(req.method).toBe("POST");
    expect(req.url).toBe("https://crm.example.com/api/callbacks");
    expect(req.headers["Content-Type"]).toBe("application/json");
    expect(JSON.parse(req.body!)).toEqual({
      extensionNumber: "201",
      name: "Alice Example",
      outboundPhoneNumber: "+61290000000",
      hasVoicemail: true,
      enabledCalls: "Local,National,Mobile",
      dateTime: "2026-11-28T17:00:05.900Z",
      serviceUuid: SERVICE_UUID,
      serviceName: "pbx-01",
      serviceFriendlyName: "Head office",
      serviceType: "mycloudpbx",
      account: "acme",
      event: "user.created",
      eventId: event.id,
      eventTime: "2026-11-28T17:00:00.000Z",
    });
  });

  const fields: Record<string, FieldSpec> = {
    ext: field("extensionNumber"),
    vm: field("hasVoicemail"),
    did: field("outboundPhoneNumber"),
    source: { kind: "value", value: "myecn" },
    n: { kind: "value", value: 3 },
    nothing: { kind: "value", value: null },
    label: { kind: "template", template: "{name} ({extensionNumber})" },
  };
  const bare = makeEvent({ user: { hasVoicemail: false } });

  it("maps fields, constants and templates in JSON, with null for missing values", () => {
    const req = render({ webhook: { fields } }, bare);
    expect(req.body).toBe(
      '{"ext":null,"vm":false,"did":null,"source":"myecn","n":3,"nothing":null,"label":" ()"}',
    );
  });

  it("sends a query payload after the URL's own query, with no body and no Content-Type", () => {
    const req = render(
      {
        webhook: { method: "GET", format: "query", fields, url: "https://h.example/cb?key=1&a=b" },
      },
      bare,
    );
    expect(req.method).toBe("GET");
    expect(req.url).toBe("https://h.example/cb?key=1&a=b&vm=false&source=myecn&n=3&label=+%28%29");
    expect(req.body).toBeNull();
    expect(req.headers).not.toHaveProperty("Content-Type");
  });

  it("adds no second & after a URL's own query that ends with one", () => {
    const req = render({
      webhook: {
        method: "GET",
        format: "query",
        fields: { e: field("name") },
        url: "https://h.example/cb?key=1&",
      },
    });
    expect(req.url).toBe("https://h.example/cb?key=1&e=Alice+Example");
  });

  it("sends a query payload on a URL without a query", () => {
    const req = render({
      webhook: { method: "GET", format: "query", fields: { e: field("name") } },
    });
    expect(req.url).toBe("https://crm.example.com/api/callbacks?e=Alice+Example");
  });

  it("keeps the URL as is when a query payload is empty", () => {
    const req = render({
      webhook: { format: "query", fields: {}, url: "https://h.example/cb?x=1" },
    });
    expect(req.url).toBe("https://h.example/cb?x=1");
  });

  it("sends a form body, leaving out missing values", () => {
    const req = render({ webhook: { format: "form", fields } }, bare);
    expect(req.headers["Content-Type"]).toBe("application/x-www-form-urlencoded");
    expect(req.body).toBe("vm=false&source=myecn&n=3&label=+%28%29");
    expect(Object.fromEntries(new URLSearchParams(req.body!))).toEqual({
      vm: "false",
      source: "myecn",
      n: "3",
      label: " ()",
    });
  });

  it("encodes call types, spaces and unicode in a form body", () => {
    const e = makeEvent({
      user: { name: "Zoë & Li 李", enabledCalls: ["Local", "International Other"] },
    });
    const req = render(
      { webhook: { format: "form", fields: { n: field("name"), c: field("enabledCalls") } } },
      e,
    );
    expect(new URLSearchParams(req.body!).get("n")).toBe("Zoë & Li 李");
    expect(new URLSearchParams(req.body!).get("c")).toBe("Local,International Other");
  });

  it.each([
    ["json", "{}", "https://h.example/cb?x=1"],
    ["form", "", "https://h.example/cb?x=1"],
    ["query", null, "https://h.example/cb?x=1"],
  ] as const)("sends an empty payload in %s format as body %j to %s", (format, body, url) => {
    const req = render({ webhook: { format, fields: {}, url: "https://h.example/cb?x=1" } });
    expect([req.body, req.url]).toEqual([body, url]);
  });

  it("keeps a payload key named __proto__", () => {
    const req = render({
      webhook: { fields: Object.fromEntries([["__proto__", field("name")]]) },
    });
    expect(req.body).toBe('{"__proto__":"Alice Example"}');
  });
});

describe("jsonText: a field value as JSON text", () => {
  // The body is built from these pieces: each must be exactly what JSON.stringify writes.
  it.each([
    ["a plain string", "Alice Example"],
    ["an empty string", ""],
    ["a quote", 'say "hi"'],
    ["a backslash", "C:\\pbx"],
    ["a newline and a tab", "two\nlines\tand a tab"],
    ["NUL and unit separator", "\u0000\u001f"],
    ["DEL, which JSON leaves as it is", "\u007f"],
    ["line and paragraph separators", "\u2028\u2029"],
    ["non-ASCII text", "Zoë & Li 李"],
    ["a pair of surrogates (an emoji)", "ring \u{1f4de}"],
    ["a lone high surrogate", "bad \ud83d end"],
    ["a lone low surrogate", "\udcde"],
    ["true", true],
    ["false", false],
    ["null", null],
    ["a number", 3],
    ["a negative fraction", -2.5],
    ["a large number", 1e21],
    ["NaN, which JSON writes as null", NaN],
    ["Infinity, likewise", Infinity],
    ["minus zero, written as 0", -0],
  ] as const)("writes %s as JSON.stringify does", (_what, value) => {
    expect(jsonText(value)).toBe(JSON.stringify(value));
  });
});

describe("renderRequest: URL and path arguments", () => {
  it.each([
    [
      "https://h.example/api",
      ["{serviceUuid}", "ext-{extensionNumber}"],
      `https://h.example/api/${SERVICE_UUID}/ext-201`,
    ],
    ["https://h.example/api/", ["x"], "https://h.example/api/x"],
    ["https://h.example/api//", ["x"], "https://h.example/api/x"],
    ["https://h.example", ["x"], "https://h.example/x"],
    ["https://h.example/api?k=v", ["x"], "https://h.example/api/x?k=v"],
    ["https://h.example/api/?k=v#frag", ["x"], "https://h.example/api/x?k=v"],
    ["https://h.example/api/", [], "https://h.example/api/"],
    ["https://h.example/api", ["{name}"], "https://h.example/api/Alice%20Example"],
  ])("%s with %j is %s", (url, pathArguments, expected) => {
    expect(render({ webhook: { url, pathArguments } }).url).toBe(expected);
  });

  it.each([
    ["a slash", "a/b", "a%2Fb"],
    ["a question mark and hash", "a?b#c", "a%3Fb%23c"],
    ["unicode", "Zoë 李", "Zo%C3%AB%20%E6%9D%8E"],
    ["a percent sign", "100%", "100%25"],
    ["a dot segment", "..", "%252E%252E"],
    ["a single dot", ".", "%252E"],
    ["dots among text", "a..b", "a..b"],
    ["an emoji", "Zoë 😀", "Zo%C3%AB%20%F0%9F%98%80"],
    ["an emoji cut in half (a lone surrogate)", "Zoë \ud83d", "Zo%C3%AB%20%EF%BF%BD"],
    ["a lone trailing surrogate", "\ude00x", "%EF%BF%BDx"],
  ])("encodes %s in a path argument", (_what, name, segment) => {
    const req = render(
      { webhook: { url: "https://h.example/api", pathArguments: ["{name}"] } },
      makeEvent({ user: { name } }),
    );
    expect(req.url).toBe(`https://h.example/api/${segment}`);
    expect(new URL(req.url).pathname).toBe(`/api/${segment}`);
  });

  it("puts the path arguments before the query payload", () => {
    const req = render({
      webhook: {
        method: "GET",
        format: "query",
        url: "https://h.example/a?x=1",
        pathArguments: ["{account}"],
        fields: { e: field("extensionNumber") },
      },
    });
    expect(req.url).toBe("https://h.example/a/acme?x=1&e=201");
  });
});

describe("renderRequest: a path argument the event leaves empty", () => {
  const lacking = makeEvent({
    user: { extension: "201", name: "", outboundNumber: null, enabledCalls: [] },
    data: { service: { type: "mycloudpbx", uuid: SERVICE_UUID } },
  });
  const rendered = (pathArguments: string[]) =>
    renderRequest(
      makeIntegration({ webhook: { url: "https://h.example/api", pathArguments } }),
      lacking,
      now,
    );

  it.each([
    [
      ["{outboundPhoneNumber}"],
      'webhook.pathArguments[0] "{outboundPhoneNumber}" is empty for this event, which has no outboundPhoneNumber (data.user.outboundNumber)',
    ],
    [
      ["{serviceUuid}", "{name}"],
      'webhook.pathArguments[1] "{name}" is empty for this event, which has an empty name (data.user.name)',
    ],
    [
      ["{serviceName}{enabledCalls}{serviceName}"],
      'webhook.pathArguments[0] "{serviceName}{enabledCalls}{serviceName}" is empty for this event, which has no serviceName (data.service.name) and an empty enabledCalls (data.user.enabledCalls)',
    ],
  ])("makes no request for %j, saying why", (pathArguments, reason) => {
    expect(rendered(pathArguments)).toEqual({ unsendable: reason });
  });

  const emptyName = "an empty name (data.user.name)";
  it.each([
    [
      "quotes whole a path argument of 80 characters",
      "{enabledCalls}" + "{name}".repeat(11),
      `"${"{enabledCalls}" + "{name}".repeat(11)}"`,
      `an empty enabledCalls (data.user.enabledCalls) and ${emptyName}`,
    ],
    [
      "cuts a path argument of 81 characters to 80",
      "{outboundPhoneNumber}" + "{name}".repeat(10),
      `"${("{outboundPhoneNumber}" + "{name}".repeat(10)).slice(0, 80)}…"`,
      `no outboundPhoneNumber (data.user.outboundNumber) and ${emptyName}`,
    ],
    [
      "cuts a long path argument to 80",
      "{name}".repeat(30),
      `"${"{name}".repeat(30).slice(0, 80)}…"`,
      emptyName,
    ],
  ])("%s in the reason", (_what, argument, quoted, which) => {
    expect(rendered([argument])).toEqual({
      unsendable: `webhook.pathArguments[0] ${quoted} is empty for this event, which has ${which}`,
    });
  });

  it.each([
    [["ext-{outboundPhoneNumber}"], "https://h.example/api/ext-"],
    [["{name}{extensionNumber}"], "https://h.example/api/201"],
    [["{serviceFriendlyName}x"], "https://h.example/api/x"],
    [["{extensionNumber}", "n-{outboundPhoneNumber}"], "https://h.example/api/201/n-"],
  ])("sends %j, whose segment has text of its own or a value, to %s", (pathArguments, url) => {
    expect(requestOf(rendered(pathArguments)).url).toBe(url);
  });
});

describe("renderRequest: headers", () => {
  it("sends User-Agent, webhook-id and webhook-timestamp on every request, without a signature when not signing", () => {
    const req = render({ name: "crm" });
    expect(req.headers["User-Agent"]).toBe(USER_AGENT);
    // The form docs/receivers.md ("Headers") documents, spelt out: the constant alone would
    // follow any change to it.
    expect(USER_AGENT).toBe(`hookswitch/${PACKAGE_VERSION}`);
    expect(req.headers["webhook-id"]).toBe(webhookId("crm", event.id));
    expect(req.headers["webhook-timestamp"]).toBe(NOW_SECONDS);
    expect(req.headers).not.toHaveProperty("webhook-signature");
    expect(req.headers).not.toHaveProperty("Authorization");
  });

  it.each([
    [
      "basic",
      { type: "basic", username: "hooks", password: "pä:ss" } as const,
      `Basic ${Buffer.from("hooks:pä:ss").toString("base64")}`,
    ],
    [
      "basic without credentials",
      { type: "basic", username: "", password: "" } as const,
      `Basic ${Buffer.from(":").toString("base64")}`,
    ],
    ["token", { type: "token", token: "tok_123" } as const, "Bearer tok_123"],
    [
      "token with a line break and non-ASCII text",
      { type: "token", token: "tok\r\nX-Evil: 1é" } as const,
      "Bearer tok X-Evil: 1\u00c3\u00a9",
    ],
  ])("sends %s auth as an Authorization header", (_what, auth, expected) => {
    expect(render({ webhook: { auth } }).headers.Authorization).toBe(expected);
  });

  it("fills placeholders in custom headers", () => {
    const headers = { "X-Source": "myecn", "X-User": "{name} <{extensionNumber}>" };
    const req = render({ webhook: { headers } });
    expect(req.headers["X-Source"]).toBe("myecn");
    expect(req.headers["X-User"]).toBe("Alice Example <201>");
  });

  it("sends a custom header named __proto__ as a header", () => {
    const headers = Object.fromEntries([["__proto__", "{extensionNumber}"]]);
    const req = render({ webhook: { headers } });
    expect(Object.keys(req.headers)).toContain("__proto__");
    expect(Object.getOwnPropertyDescriptor(req.headers, "__proto__")?.value).toBe("201");
  });

  it("never lets event content put CR or LF in a header", () => {
    const e = makeEvent({ user: { name: "x\r\nX-Injected: 1\nY\rZ\u0000" } });
    const value = render({ webhook: { headers: { "X-User": "{name}" } } }, e).headers["X-User"]!;
    expect(value).not.toMatch(/[\r\n\0]/);
    expect(value).toBe("x X-Injected: 1 Y Z");
  });

  it.each([
    ["plain text as it is", "crm 201", "crm 201"],
    ["a tab as it is", "a\tb", "a\tb"],
    ["CR LF as one space", "a\r\nb", "a b"],
    ["NUL as a space", "a\u0000b", "a b"],
    ["DEL as a space", "a\u007fb", "a b"],
    ["a run of control characters as one space", "a\u0001\u001f\u007fb", "a b"],
    ["no spaces or tabs at either end, which are not part of a value", " \t a b\t ", "a b"],
    ["no space where a control character ends it", "Eve\r\n", "Eve"],
    ["nothing for spaces alone", "  ", ""],
    ["no tab that starts a value", "\tx", "x"],
    ["no tab that ends a value", "x\t", "x"],
    ["non-ASCII text as its UTF-8 bytes", "Zoë", "Zo\u00c3\u00ab"],
  ])("puts %s in a header value", (_what, text, wire) => {
    expect(headerValue(text)).toBe(wire);
  });

  // Every C0 control character but tab, and DEL: what RFC 9110 leaves out of a field value.
  const controls = [...Array(0x20).keys(), 0x7f].filter((code) => code !== 0x09);
  it.each(controls.map((code) => [`U+${code.toString(16).padStart(4, "0")}`, code] as const))(
    "sends %s from the event's data as a space in a header value",
    (_what, code) => {
      const e = makeEvent({ user: { name: `a${String.fromCharCode(code)}b` } });
      const req = render({ webhook: { headers: { "X-User": "<{name}>" } } }, e);
      expect(req.headers["X-User"]).toBe("<a b>");
    },
  );

  it("sends a tab from the event's data as it is, which a header value may hold", () => {
    const e = makeEvent({ user: { name: "a\tb" } });
    expect(render({ webhook: { headers: { "X-User": "{name}" } } }, e).headers["X-User"]).toBe(
      "a\tb",
    );
  });

  it("sends non-ASCII header text as UTF-8 bytes", () => {
    const e = makeEvent({ user: { name: "李" } });
    const value = render({ webhook: { headers: { "X-User": "{name}" } } }, e).headers["X-User"]!;
    expect(Buffer.from(value, "latin1").toString("utf8")).toBe("李");
  });

  it.each([
    "Host",
    "Content-Length",
    "CONTENT-TYPE",
    "User-Agent",
    "WEBHOOK-ID",
    "Webhook-Timestamp",
    "Webhook-Signature",
  ])("does not send a custom header named %s, which hookswitch sets itself", (name) => {
    for (const format of ["json", "query"] as const) {
      const req = render({ webhook: { format, headers: { [name]: "custom", "X-Ok": "1" } } });
      expect(Object.values(req.headers)).not.toContain("custom");
      expect(req.headers["X-Ok"]).toBe("1");
    }
  });

  it("does not let custom headers replace the ones hookswitch sets", () => {
    const headers = {
      "user-agent": "evil",
      "Webhook-Id": "x",
      Authorization: "Bearer custom",
      "X-Ok": "1",
    };
    const withAuth = render({ webhook: { headers, auth: { type: "token", token: "t" } } });
    expect(withAuth.headers).toMatchObject({
      "User-Agent": USER_AGENT,
      Authorization: "Bearer t",
      "X-Ok": "1",
    });
    expect(
      Object.keys(withAuth.headers)
        .map((h) => h.toLowerCase())
        .sort(),
    ).toEqual([
      "authorization",
      "content-type",
      "user-agent",
      "webhook-id",
      "webhook-timestamp",
      "x-ok",
    ]);
    expect(render({ webhook: { headers } }).headers.Authorization).toBe("Bearer custom");
  });
});

describe("renderRequest: signing and ids", () => {
  const secret = `whsec_${Buffer.from("0123456789abcdef0123456789abcdef").toString("base64")}`;
  const hmac = (content: string) =>
    `v1,${createHmac("sha256", "0123456789abcdef0123456789abcdef").update(content).digest("base64")}`;

  it("signs id.timestamp.body of the exact body sent", () => {
    const req = render({ webhook: { signingSecrets: [secret] } });
    const id = req.headers["webhook-id"]!;
    expect(req.headers["webhook-signature"]).toBe(hmac(`${id}.${NOW_SECONDS}.${req.body}`));
  });

  it("signs an empty body for the query format", () => {
    const req = render({
      webhook: { format: "query", method: "GET", signingSecrets: [secret, secret] },
    });
    const id = req.headers["webhook-id"]!;
    const one = hmac(`${id}.${NOW_SECONDS}.`);
    expect(req.headers["webhook-signature"]).toBe(`${one} ${one}`);
  });

  it("keeps webhook-id across attempts and changes webhook-timestamp", () => {
    const integration = makeIntegration({});
    const first = requestOf(renderRequest(integration, event, now));
    const later = requestOf(renderRequest(integration, event, new Date(now.getTime() + 60_000)));
    expect(later.headers["webhook-id"]).toBe(first.headers["webhook-id"]);
    expect(Number(later.headers["webhook-timestamp"])).toBe(Number(NOW_SECONDS) + 60);
  });

  it("gives two integrations different webhook-ids for the same event", () => {
    expect(render({ name: "a" }).headers["webhook-id"]).not.toBe(
      render({ name: "b" }).headers["webhook-id"],
    );
  });
});
