import { describe, expect, it } from "vitest";
import { maskRequest } from "../../src/delivery/mask.js";
import type { WebhookRequest } from "../../src/delivery/types.js";

const request = (overrides: Partial<WebhookRequest>): WebhookRequest => ({
  method: "POST",
  url: "https://crm.example.com/hook",
  headers: {},
  body: null,
  ...overrides,
});

describe("maskRequest", () => {
  it("masks a secret in the URL, header values and body", () => {
    const masked = maskRequest(
      request({
        url: "https://crm.example.com/hook?key=s3cret&x=1",
        headers: { "X-Api-Key": "s3cret", "X-Other": "public" },
        body: '{"k":"s3cret","n":"s3cret"}',
      }),
      ["s3cret"],
    );
    expect(masked.url).toBe("https://crm.example.com/hook?key=****&x=1");
    expect(masked.headers).toEqual({ "X-Api-Key": "****", "X-Other": "public" });
    expect(masked.body).toBe('{"k":"****","n":"****"}');
  });

  it.each([
    ["URL-encoded", "https://h/x?t=a%2Fb%20c%26d", "https://h/x?t=****"],
    ["form-encoded", "https://h/x?t=a%2Fb+c%26d", "https://h/x?t=****"],
  ])("masks a secret that appears %s", (_what, url, expected) => {
    expect(maskRequest(request({ url }), ["a/b c&d"]).url).toBe(expected);
  });

  it("masks a secret that appears JSON-escaped in the body", () => {
    const secret = 'quo"te\\';
    const body = JSON.stringify({ s: secret });
    expect(maskRequest(request({ body }), [secret]).body).toBe('{"s":"****"}');
  });

  it.each([
    ["Basic", "Basic aG9va3M6cGFzc3dvcmQ=", "Basic ****"],
    ["Bearer", "Bearer tok_123", "Bearer ****"],
  ])("masks the whole %s Authorization value, keeping the scheme", (_s, value, expected) => {
    const masked = maskRequest(request({ headers: { Authorization: value } }), []);
    expect(masked.headers.Authorization).toBe(expected);
  });

  it("masks every webhook-signature, keeping the version and count", () => {
    const headers = { "webhook-signature": "v1,abc= v1,def=" };
    expect(maskRequest(request({ headers }), []).headers["webhook-signature"]).toBe(
      "v1,**** v1,****",
    );
  });

  it("masks the longer of two overlapping secrets whole", () => {
    const masked = maskRequest(request({ body: "abc abcdef" }), ["abc", "abcdef"]);
    expect(masked.body).toBe("**** ****");
  });

  it("ignores empty secrets and leaves a request without secrets unchanged", () => {
    const original = request({ headers: { "User-Agent": "hookswitch/1" }, body: "{}" });
    expect(maskRequest(original, [""])).toEqual(original);
  });

  it("keeps a header named __proto__ as a header, its secret masked", () => {
    const headers = Object.fromEntries([["__proto__", "key s3cret"]]);
    const masked = maskRequest(request({ headers }), ["s3cret"]);
    expect(Object.getOwnPropertyDescriptor(masked.headers, "__proto__")?.value).toBe("key ****");
    expect(JSON.parse(JSON.stringify(masked.headers))).toHaveProperty(["__proto__"], "key ****");
  });

  it("does not change the request it is given", () => {
    const original = request({ headers: { Authorization: "Bearer x" } });
    maskRequest(original, ["x"]);
    expect(original.headers.Authorization).toBe("Bearer x");
  });
});
