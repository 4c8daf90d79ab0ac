import { describe, expect, it } from "vitest";
import {
  repeatedSigningSecrets,
  secretsInClear,
  shortSigningSecrets,
  isCredentialHeader,
} from "../../../src/config/rules/clear-secrets.js";
import type { RawWebhook } from "../../../src/config/parse/raw.js";
import { makeRawIntegration } from "../../support/integration.js";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

describe("secretsInClear: secrets written in the file itself", () => {
  it.each<[string, Partial<RawWebhook>, string[]]>([
    ["no auth and no signing", {}, []],
    ["a token in clear", { auth: { type: "token", token: "abc123" } }, ["webhook.auth.token"]],
    ["a token by reference", { auth: { type: "token", token: "${env:CRM_TOKEN}" } }, []],
    ["a token from a file", { auth: { type: "token", token: "${file:/run/secrets/t}" } }, []],
    ["a reference beside text", { auth: { type: "token", token: "v1-${env:T}" } }, []],
    [
      "an escaped ${, which is text",
      { auth: { type: "token", token: "$${env:T}" } },
      ["webhook.auth.token"],
    ],
    [
      "a password in clear",
      { auth: { type: "basic", username: "hooks", password: "s3cret" } },
      ["webhook.auth.password"],
    ],
    [
      "an empty password, which holds nothing",
      { auth: { type: "basic", username: "hooks", password: "" } },
      [],
    ],
    ["a username only", { auth: { type: "basic", username: "hooks" } }, []],
    ["a signing secret in clear", { signing: { secret: SECRET } }, ["webhook.signing.secret"]],
    ["a signing secret by reference", { signing: { secret: "${env:S}" } }, []],
    [
      "credential headers in clear",
      {
        headers: {
          Authorization: "Bearer abc123",
          "X-Api-Key": "abc123",
          "x-auth-token": "s3cret",
          Cookie: "session=abc123",
        },
      },
      [
        "webhook.headers.Authorization",
        "webhook.headers.X-Api-Key",
        "webhook.headers.x-auth-token",
        "webhook.headers.Cookie",
      ],
    ],
    [
      "an Authorization header beside token auth, which is refused on its own",
      { auth: { type: "token", token: "${env:T}" }, headers: { authorization: "Bearer abc123" } },
      [],
    ],
    [
      "credential headers by reference, or made of the event's fields, and other headers",
      {
        headers: {
          Authorization: "Bearer ${env:T}",
          "X-Api-Key": "${file:/run/secrets/k}",
          "X-Token-For": "{serviceUuid}",
          "X-Source": "myecn",
        },
      },
      [],
    ],
    [
      "secrets in rotation, one in clear",
      { signing: { secret: ["${env:OLD}", SECRET] } },
      ["webhook.signing.secret[1]"],
    ],
    [
      "secrets in rotation, the first in clear",
      { signing: { secret: [SECRET, "${env:NEW}"] } },
      ["webhook.signing.secret[0]"],
    ],
  ])("%s: %j", (_title, webhook, expected) => {
    const found = secretsInClear(makeRawIntegration(webhook));
    expect(found.map((w) => w.message.split(" ")[0])).toEqual(expected);
    for (const w of found) {
      expect(w.message).toContain("reference it with ${env:NAME} or ${file:/path}");
      expect(w.message).not.toContain(SECRET);
      expect(w.message).not.toMatch(/abc123|s3cret/);
    }
  });
});

describe("secretsInClear on a file the schema refuses", () => {
  it.each<[string, unknown, string[]]>([
    [
      "a token in clear beside an unknown key",
      { webhook: { auth: { token: "abc123" }, x: 1 } },
      ["webhook.auth.token"],
    ],
    [
      "a signing secret list with a number in it",
      { webhook: { signing: { secret: [7, SECRET] } } },
      ["webhook.signing.secret[1]"],
    ],
    ["auth that is a list", { webhook: { auth: ["abc123"] } }, []],
    ["a webhook that is text", { webhook: "https://example.com" }, []],
    ["no document at all", null, []],
  ])("%s", (_title, data, expected) => {
    expect(secretsInClear(data).map((w) => w.message.split(" ")[0])).toEqual(expected);
  });
});

describe("shortSigningSecrets: keys shorter than Standard Webhooks asks for", () => {
  const short = `whsec_${Buffer.alloc(23, 7).toString("base64")}`;
  const enough = `whsec_${Buffer.alloc(24, 7).toString("base64")}`;
  it.each<[string, Partial<RawWebhook>, string[]]>([
    ["no signing", {}, []],
    ["24 bytes", { signing: { secret: enough } }, []],
    ["23 bytes", { signing: { secret: short } }, ["webhook.signing.secret is a key of 23 bytes"]],
    [
      "3 bytes",
      { signing: { secret: "whsec_YWJj" } },
      ["webhook.signing.secret is a key of 3 bytes"],
    ],
    [
      "1 byte, said in the singular",
      { signing: { secret: "whsec_YQ==" } },
      ["webhook.signing.secret is a key of 1 byte"],
    ],
    [
      "the short one of two in rotation",
      { signing: { secret: [enough, short] } },
      ["webhook.signing.secret[1] is a key of 23 bytes"],
    ],
    ["a reference not yet resolved", { signing: { secret: "${env:S}" } }, []],
    ["a token, which is not a signing key", { auth: { type: "token", token: "whsec_YWJj" } }, []],
  ])("%s", (_title, webhook, expected) => {
    const found = shortSigningSecrets(makeRawIntegration(webhook));
    expect(found.map((w) => w.message.split(":")[0])).toEqual(expected);
    for (const w of found) expect(w.message).not.toContain("YWJj");
  });
});

describe("repeatedSigningSecrets: one secret twice in a rotation list", () => {
  const a = `whsec_${Buffer.alloc(24, 7).toString("base64")}`;
  const b = `whsec_${Buffer.alloc(24, 8).toString("base64")}`;
  const twice = (at: number, first: number) =>
    `webhook.signing.secret[${at}] is the same secret as webhook.signing.secret[${first}]: while rotating, list the secret being retired and its successor, one of each`;
  it.each<[string, Partial<RawWebhook>, string[]]>([
    ["no signing", {}, []],
    ["one secret", { signing: { secret: a } }, []],
    ["two secrets", { signing: { secret: [a, b] } }, []],
    ["one secret twice", { signing: { secret: [a, a] } }, [twice(1, 0)]],
    ["one of three twice, apart", { signing: { secret: [a, b, a] } }, [twice(2, 0)]],
    ["one secret three times", { signing: { secret: [b, b, b] } }, [twice(1, 0), twice(2, 0)]],
    ["one reference twice", { signing: { secret: ["${env:S}", "${env:S}"] } }, [twice(1, 0)]],
    ["two references", { signing: { secret: ["${env:S}", "${env:T}"] } }, []],
    [
      "a token beside the same secret",
      { auth: { type: "token", token: a }, signing: { secret: [a] } },
      [],
    ],
  ])("%s", (_title, webhook, expected) => {
    const found = repeatedSigningSecrets(makeRawIntegration(webhook));
    expect(found.map((w) => w.message)).toEqual(expected);
    for (const w of found) expect(w.message).not.toContain(a.slice(6, 16));
  });
});

describe("isCredentialHeader", () => {
  it.each([
    ["Authorization", true],
    ["Cookie", true],
    ["Cookie-Policy", false],
    ["X-Api-Key", true],
    ["X-ApiKey", true],
    ["X-Api_Key", true],
    ["X-Auth-Token", true],
    ["X-Source", false],
  ])("%s: %s", (name, credential) => {
    expect(isCredentialHeader(name)).toBe(credential);
  });
});

describe("what the clear-secret rules leave to others", () => {
  it.each(["Authorization", "authorization", "AUTHORIZATION"])(
    "says nothing of an %s header beside auth, which is refused already",
    (name) => {
      const raw = makeRawIntegration({
        auth: { type: "token", token: "${env:T}" },
        headers: { [name]: "Bearer abc123" },
      });
      expect(secretsInClear(raw)).toEqual([]);
    },
  );

  it("takes a malformed reference for no secret in clear: its syntax is reported elsewhere", () => {
    const raw = makeRawIntegration({ auth: { type: "token", token: "abc${env:" } });
    expect(secretsInClear(raw)).toEqual([]);
  });

  it("judges the length only of a key written as whsec_…, not one with text before it", () => {
    const raw = makeRawIntegration({ signing: { secret: "x-whsec_AAAA" } });
    expect(shortSigningSecrets(raw)).toEqual([]);
  });
});
