import { afterAll, describe, expect, it } from "vitest";
import type { Integration } from "../../src/config/types.js";
import {
  maskEchoedSecrets,
  maskMarks,
  maskedRequest,
  shownLocation,
} from "../../src/delivery/mask.js";
import { renderRequest } from "../../src/delivery/render.js";
import type { WebhookRequest } from "../../src/delivery/types.js";
import { integrationLoader, makeTempDir, removeDir } from "../support/config-dir.js";
import { makeEvent, requestOf } from "../support/integration.js";

const dir = makeTempDir("hookswitch-mask-");
afterAll(() => removeDir(dir));

const event = makeEvent();
const now = new Date("2026-11-28T17:00:00.000Z");

const loaded = integrationLoader(dir);

/** What the receiver gets, and what `render` and a dead letter show of it. */
function sentAndShown(integration: Integration) {
  const sent = requestOf(renderRequest(integration, event, now));
  return { sent, shown: maskedRequest(integration, sent, event, now) };
}

describe("maskedRequest masks each secret where a reference put it", () => {
  it.each([
    [
      "a whole URL, which the URL parser rewrites",
      { url: "${env:URL}" },
      { URL: "https://CRM.example.com:443/hooks?token=abc123" },
      "https://crm.example.com/hooks?token=abc123",
      "****",
    ],
    [
      "a whole URL, with path arguments after it",
      { url: "${env:URL}", pathArguments: ["ext-{extensionNumber}"] },
      { URL: "https://crm.example.com/hooks" },
      "https://crm.example.com/hooks/ext-201",
      "****/ext-201",
    ],
    [
      "a whole URL, with a query payload after it",
      { url: "${env:URL}", method: "GET", fields: { ext: "extensionNumber" } },
      { URL: "https://crm.example.com/hooks" },
      "https://crm.example.com/hooks?ext=201",
      "****?ext=201",
    ],
    [
      "path and query parts the URL parser encodes its own way",
      { url: "https://crm.example.com/hook/${env:K}?q=${env:Q}" },
      { K: "a|b c", Q: "q k'z" },
      "https://crm.example.com/hook/a|b%20c?q=q%20k%27z",
      "https://crm.example.com/hook/****?q=****",
    ],
    [
      "a host, which the URL parser lower-cases",
      { url: "https://${env:HOST}/hook" },
      { HOST: "CRM.Example.com" },
      "https://crm.example.com/hook",
      "https://****/hook",
    ],
    [
      "a port, which leaves no URL to show",
      { url: "https://crm.example.com:${env:PORT}/hook" },
      { PORT: "8443" },
      "https://crm.example.com:8443/hook",
      "****",
    ],
    [
      "a path argument",
      { pathArguments: ["${env:TENANT}", "{extensionNumber}"] },
      { TENANT: "tenant 7" },
      "http://127.0.0.1:9/hook/tenant%207/201",
      "http://127.0.0.1:9/hook/****/201",
    ],
  ])("in the URL: %s", async (_what, webhook, env, sentUrl, shownUrl) => {
    const { sent, shown } = sentAndShown(await loaded(webhook, env));
    expect(sent.url).toBe(sentUrl);
    expect(shown.url).toBe(shownUrl);
  });

  it("in a header value and in the body, as a constant and inside a template", async () => {
    const integration = await loaded(
      {
        headers: { "X-Api-Key": "key ${env:KEY}" },
        fields: {
          src: { value: "${env:KEY}" },
          label: { template: "${env:KEY}-{extensionNumber}" },
        },
      },
      { KEY: 'k"1 2' },
    );
    const { sent, shown } = sentAndShown(integration);
    expect(sent.headers["X-Api-Key"]).toBe('key k"1 2');
    expect(shown.headers["X-Api-Key"]).toBe("key ****");
    expect(shown.body).toBe('{"src":"****","label":"****-201"}');
  });

  it("in a form body, which encodes the secret", async () => {
    const integration = await loaded(
      { format: "form", fields: { src: { value: "${env:KEY}" }, ext: "extensionNumber" } },
      { KEY: "a b&c" },
    );
    const { sent, shown } = sentAndShown(integration);
    expect(sent.body).toBe("src=a+b%26c&ext=201");
    expect(shown.body).toBe("src=****&ext=201");
  });

  it("and nowhere else: a one-letter secret leaves the rest of the request as it is", async () => {
    const integration = await loaded(
      {
        auth: { type: "basic", username: "hooks", password: "${env:PASSWORD}" },
        headers: { "X-Team": "${env:TEAM}" },
      },
      { PASSWORD: "p", TEAM: "acme" },
    );
    const { sent, shown } = sentAndShown(integration);
    expect(shown.url).toBe(sent.url);
    expect(shown.body).toBe(sent.body);
    expect(shown.headers["Content-Type"]).toBe("application/json");
    expect(shown.headers["X-Team"]).toBe("****");
    // The event's own account is the same text as the secret, and is not a secret.
    expect(JSON.parse(shown.body ?? "{}")).toMatchObject({ account: "acme" });
  });

  it("renders the twin for the same webhook-id and time as the request sent", async () => {
    const integration = await loaded({ url: "http://127.0.0.1:9/${env:P}" }, { P: "p" });
    const { sent, shown } = sentAndShown(integration);
    expect(shown.headers["webhook-id"]).toBe(sent.headers["webhook-id"]);
    expect(shown.headers["webhook-timestamp"]).toBe(sent.headers["webhook-timestamp"]);
    expect(shown.body).toBe(sent.body);
  });

  it("shows a request without references as it was sent, Authorization and signature masked", async () => {
    const integration = await loaded(
      {
        auth: { type: "token", token: "${env:TOKEN}" },
        signing: { secret: "${env:SIGNING}" },
      },
      { TOKEN: "tok_123", SIGNING: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" },
    );
    expect(integration.shown).toBeUndefined();
    const { sent, shown } = sentAndShown(integration);
    expect(shown).toEqual({
      ...sent,
      headers: { ...sent.headers, Authorization: "Bearer ****", "webhook-signature": "v1,****" },
    });
  });
});

const request = (overrides: Partial<WebhookRequest>): WebhookRequest => ({
  method: "POST",
  url: "https://crm.example.com/hook",
  headers: {},
  body: null,
  ...overrides,
});

describe("maskMarks", () => {
  it.each([
    ["Basic", "Basic aG9va3M6cGFzc3dvcmQ=", "Basic ****"],
    ["Bearer", "Bearer tok_123", "Bearer ****"],
    [
      "AWS4-HMAC-SHA256",
      "AWS4-HMAC-SHA256 Credential=AKIA/x, Signature=abc",
      "AWS4-HMAC-SHA256 ****",
    ],
    ["schemeless", "tok_123", "****"],
    ["schemeless, with a word after a space", "0tok_123 part2", "****"],
  ])("masks the whole %s Authorization value, keeping any scheme", (_s, value, expected) => {
    const masked = maskMarks(request({ headers: { Authorization: value } }));
    expect(masked.headers.Authorization).toBe(expected);
  });

  it("masks every webhook-signature, keeping the version and count", () => {
    const headers = { "webhook-signature": "v1,abc= v1,def=" };
    expect(maskMarks(request({ headers })).headers["webhook-signature"]).toBe("v1,**** v1,****");
  });

  it("keeps a header named __proto__ as a header", () => {
    const headers = Object.fromEntries([["__proto__", "key"]]);
    const masked = maskMarks(request({ headers }));
    expect(Object.getOwnPropertyDescriptor(masked.headers, "__proto__")?.value).toBe("key");
  });

  it("does not change the request it is given", () => {
    const original = request({ headers: { Authorization: "Bearer x" } });
    maskMarks(original);
    expect(original.headers.Authorization).toBe("Bearer x");
  });
});

describe("shownLocation: where a redirect points, as a dead letter shows it", () => {
  it("masks the secrets of the request it quotes, as an answer's body is masked", async () => {
    const integration = await loaded(
      { url: "https://crm.example.com/h?key=${env:KEY}", pathArguments: ["${env:SEGMENT}"] },
      { KEY: "k3y-Hc3Dv6", SEGMENT: "seg-Tk5Yj2" },
    );
    const location = "https://new.example/h/seg-Tk5Yj2?key=k3y-Hc3Dv6";
    expect(shownLocation(integration, location)).toBe("https://new.example/h/****?key=****");
  });

  it.each([
    ["as it is", "https://new.example/hook", "https://new.example/hook"],
    ["a relative one as it is", "/moved", "/moved"],
    ["control characters as \ufffd", "/a\u001b[2Jb\u0085", "/a\ufffd[2Jb\ufffd"],
    ["a long one cut at 300 characters", `/${"x".repeat(400)}`, `/${"x".repeat(299)}…`],
  ])("shows %s", async (_what, location, shown) => {
    const integration = await loaded({ url: "https://crm.example.com/h" }, {});
    expect(shownLocation(integration, location)).toBe(shown);
  });
});

describe("maskEchoedSecrets masks the secrets a receiver's answer quotes", () => {
  /** An integration that sends `token` as its Bearer token, given as a secret. */
  const sendingToken = (token: string) =>
    loaded(
      { url: "https://crm.example.com/h", auth: { type: "token", token: "${env:TOKEN}" } },
      { TOKEN: token },
    );

  it("masks each secret sent, in the forms it was sent in, and leaves the rest", async () => {
    const integration = await loaded(
      {
        url: "https://crm.example.com/h?key=${env:KEY}",
        auth: { type: "basic", username: "svc", password: "${env:PASSWORD}" },
        headers: { "X-Api-Key": "${env:API}" },
      },
      { KEY: "k3y/with space", PASSWORD: "p4ss:word", API: "api-123" },
    );
    const basic = Buffer.from("svc:p4ss:word").toString("base64");
    const answer = `bad key k3y%2Fwith%20space or k3y%2Fwith+space or "k3y/with space"; api-123; ${basic}; p4ss:word; for 201`;
    expect(maskEchoedSecrets(integration, answer)).toBe(
      'bad key **** or **** or "****"; ****; ****; ****; for 201',
    );
  });

  it("masks a secret quoted over itself, where one quote's end is the next one's start", async () => {
    const integration = await sendingToken("abcXabc");
    expect(maskEchoedSecrets(integration, "abcXabcXabc")).toBe("****");
  });

  it("masks the start of a secret that the kept text cuts off, but not 3 characters", async () => {
    const integration = await sendingToken("tok-0123456789");
    expect(maskEchoedSecrets(integration, "Bearer tok-0123")).toBe("Bearer ****");
    expect(maskEchoedSecrets(integration, "Bearer tok")).toBe("Bearer tok");
  });

  it("masks a host that came from a secret wherever the answer quotes it alone", async () => {
    const integration = await loaded(
      { url: "${env:URL}" },
      { URL: "https://hooks.internal.example:8443/crm?key=k3y-123" },
    );
    const answer = "no route for Host: hooks.internal.example:8443 (hooks.internal.example)";
    expect(maskEchoedSecrets(integration, answer)).toBe("no route for Host: **** (****)");
  });

  it.each([
    ["the whole answer", "tok-0123456789", "****"],
    ["the start of the answer", "tok-0123456789 expired", "**** expired"],
  ])("masks a secret that is %s", async (_what, answer, expected) => {
    const integration = await sendingToken("tok-0123456789");
    expect(maskEchoedSecrets(integration, answer)).toBe(expected);
  });

  it.each([
    ["a cut-off start of 4 characters", "tok-0123456789", "Bearer tok-", "Bearer ****"],
    ["a cut-off start of 3 characters", "tok-0123456789", "Bearer tok", "Bearer tok"],
    ["a whole secret of 4 characters", "t0k3", "Bearer t0k3 refused", "Bearer **** refused"],
  ])("masks %s as the last thing the answer kept", async (_what, token, answer, expected) => {
    const integration = await sendingToken(token);
    expect(maskEchoedSecrets(integration, answer)).toBe(expected);
  });

  it("masks the start of a secret the kept text cuts off as a form wrote it", async () => {
    const integration = await sendingToken("tok en 0123456789");
    // A form writes a space as "+", which no decoding of the answer turns back.
    expect(maskEchoedSecrets(integration, "bad token tok+en+0123")).toBe("bad token ****");
  });

  it("masks a secret the answer quotes JSON-encoded", async () => {
    const integration = await loaded(
      { url: "https://crm.example.com/h", headers: { "X-Api-Key": "${env:API}" } },
      { API: 'key"with\\quote' },
    );
    const answer = String.raw`{"error":"unknown key 'key\"with\\quote'"}`;
    expect(maskEchoedSecrets(integration, answer)).toBe(`{"error":"unknown key '****'"}`);
  });

  it("masks the longer of two secrets whole when the shorter is its start", async () => {
    const integration = await loaded(
      {
        url: "https://crm.example.com/h",
        headers: { "X-Short": "${env:SHORT}", "X-Long": "${env:LONG}" },
      },
      { SHORT: "abcd1234", LONG: "abcd1234-and-more" },
    );
    expect(maskEchoedSecrets(integration, "got abcd1234-and-more")).toBe("got ****");
  });

  it("looks for no secret shorter than 4 characters", async () => {
    const integration = await loaded(
      { url: "https://crm.example.com/h", headers: { "X-Tenant": "${env:TENANT}" } },
      { TENANT: "42" },
    );
    expect(maskEchoedSecrets(integration, "tenant 42 has no user 4242")).toBe(
      "tenant 42 has no user 4242",
    );
  });
});

describe("maskedRequest of a request just within the caps", () => {
  it("shows it masked whole when its marks, longer than the secret, take it past them", async () => {
    const integration = await loaded({ headers: { "X-A": "${env:S}{name}" } }, { S: "k" });
    // "X-A" and "k" and the name: exactly the 64 KiB of custom headers; the mark is longer.
    const long = makeEvent({ user: { name: "n".repeat(64 * 1024 - 4) } });
    const sent = requestOf(renderRequest(integration, long, now));
    expect(sent.headers["X-A"]).toHaveLength(64 * 1024 - 3);
    expect(maskedRequest(integration, sent, long, now)).toEqual({
      method: "POST",
      url: "****",
      headers: {},
      body: null,
    });
  });
});
