import { describe, expect, it } from "vitest";
import type { RawWebhook } from "../../../src/config/parse/raw.js";
import { checkRules, signingSecretMessage } from "../../../src/config/rules/rules.js";
import { makeRawIntegration as base } from "../../support/integration.js";

function input(webhook: Partial<RawWebhook>, value: Partial<RawWebhook> = {}, resolved = false) {
  return { raw: base(webhook), value: base({ ...webhook, ...value }), resolved };
}

describe("checkRules", () => {
  it.each<[string, ReturnType<typeof input>, string[]]>([
    [
      "a valid integration",
      input({ pathArguments: ["{serviceUuid}"], headers: { "X-A": "{name}" } }),
      [],
    ],
    [
      "an unknown placeholder in a header",
      input({ headers: { "X-A": "{nme}" } }),
      ["unknown placeholder {nme} in webhook.headers.X-A (did you mean {name}?)"],
    ],
    [
      "an unknown placeholder in a template",
      input({ fields: { a: { template: "{bogus}" } } }),
      ["unknown placeholder {bogus} in webhook.fields.a.template"],
    ],
    // A long name of no field's is not repeated: in a header's value, it may be a secret's.
    [
      "a placeholder in snake case",
      input({ headers: { "X-A": "{user_name}" } }),
      ["unknown placeholder in webhook.headers.X-A: the name in braces there is no field's"],
    ],
    [
      "braces typed into a secret",
      input({ headers: { "X-Api-Key": "ab{Zq7Pa55Secret}cd" } }),
      ["unknown placeholder in webhook.headers.X-Api-Key: the name in braces there is no field's"],
    ],
    [
      "a field name in other letter case",
      input({ pathArguments: ["{Name}"] }),
      ["unknown placeholder {Name} in webhook.pathArguments[0] (did you mean {name}?)"],
    ],
    ["JSON braces, which are not placeholders", input({ headers: { "X-A": '{"a": 1}' } }), []],
    ["a placeholder inside a secret reference", input({ headers: { "X-A": "${env:X}" } }), []],
    ["Host in any case", input({ headers: { hOsT: "x" } }), ["header hOsT is set by hookswitch"]],
    ["Authorization without auth", input({ headers: { Authorization: "x" } }), []],
    [
      "Authorization with basic auth",
      input({ auth: { type: "basic" }, headers: { authorization: "x" } }),
      ["header authorization is set by webhook.auth (type basic)"],
    ],
    [
      "Authorization with token auth",
      input({ auth: { type: "token", token: "${env:T}" }, headers: { Authorization: "x" } }),
      ["header Authorization is set by webhook.auth (type token)"],
    ],
    [
      "the same header twice",
      input({ headers: { "X-A": "1", "x-a": "2" } }),
      ["header x-a is already set as X-A"],
    ],
    [
      "the same header twice, first in lower case",
      input({ headers: { "x-a": "1", "X-A": "2" } }),
      ["header X-A is already set as x-a"],
    ],
    [
      "a resolved header value with a line break",
      input({ headers: { "X-A": "${env:V}" } }, { headers: { "X-A": "a\nb" } }, true),
      ["header X-A: its value contains a line break"],
    ],
    [
      "an ftp URL written out",
      input({ url: "ftp://x/y" }, {}, true),
      ["webhook.url must use http or https (got ftp)"],
    ],
    [
      "an ftp URL after resolution, whose scheme is part of the secret and not shown",
      input({ url: "${env:U}" }, { url: "ftp://x/y" }, true),
      ["webhook.url must use http or https once its ${…} references are resolved"],
    ],
    [
      "credentials in the URL",
      input({ url: "https://u:p@example.com/" }),
      ["webhook.url must not carry user:password@"],
    ],
    [
      "credentials around a reference in the URL",
      input({ url: "https://u:p@example.com/?k=${env:K}" }),
      ["webhook.url must not carry user:password@"],
    ],
    [
      "credentials by reference in the URL",
      input({ url: "https://${file:/run/secrets/user}@example.com/" }),
      ["webhook.url must not carry user:password@"],
    ],
    [
      "credentials in a plain http URL beside a reference",
      input({ url: "http://u:p@example.com/?k=${env:K}" }),
      ["webhook.url must not carry user:password@"],
    ],
    [
      "a password of several characters without a user, around a reference",
      input({ url: "https://:pw${env:K}@example.com/" }),
      ["webhook.url must not carry user:password@"],
    ],
    [
      "credentials whose user begins with a run of $, beside a reference",
      input({ url: "https://$$user:${env:PW}@example.com/" }),
      ["webhook.url must not carry user:password@"],
    ],
    ["an unresolved URL reference", input({ url: "${env:U}" }), []],
    [
      "a placeholder in the URL",
      input({ url: "https://example.com/users/{extensionNumber}" }),
      ["webhook.url is sent as written, so {extensionNumber} would not be filled in"],
    ],
    ["an escaped reference in the URL", input({ url: "https://example.com/?k=$${name}" }), []],
    [
      "Expect, which cannot be sent",
      input({ headers: { Expect: "100-continue" } }),
      ["header Expect cannot be sent"],
    ],
    [
      "Content-Encoding, which would have the receiver decode a plain body",
      input({ headers: { "content-Encoding": "gzip" } }),
      ["header content-Encoding cannot be sent: hookswitch sends bodies unencoded"],
    ],
    [
      "TE, a hop-by-hop header",
      input({ headers: { te: "trailers" } }),
      ["header te cannot be sent: it speaks for one connection"],
    ],
    [
      "Proxy-Connection, a hop-by-hop header",
      input({ headers: { "Proxy-Connection": "keep-alive" } }),
      ["header Proxy-Connection cannot be sent: it speaks for one connection"],
    ],
    [
      "Trailer, which announces fields after a chunked body",
      input({ headers: { TRAILER: "X-Checksum" } }),
      ["header TRAILER cannot be sent: it announces fields after a chunked body"],
    ],
    [
      "a bad secret in a rotation list",
      input({ signing: { secret: ["whsec_MfKQ9r8GKYqrTwjU", "nope"] } }),
      ["webhook.signing.secret[1] must look like whsec_<base64>"],
    ],
    [
      "a timeout of 0",
      input({ timeout: "0s" }),
      ["webhook.timeout must be more than 0 and at most 60s (got 0s)"],
    ],
    ["a timeout of 60s", input({ timeout: "60s" }), []],
    [
      "a maxDelay below the default initialDelay",
      input({ retry: { maxDelay: "500ms" } }),
      ["webhook.retry.initialDelay (1s) must not be longer than webhook.retry.maxDelay (500ms)"],
    ],
    [
      "a maxDelay under 100ms",
      input({ retry: { initialDelay: "50ms", maxDelay: "50ms" } }),
      [
        "webhook.retry.initialDelay must be at least 100ms (got 50ms)",
        "webhook.retry.maxDelay must be at least 100ms (got 50ms)",
      ],
    ],
    [
      "a malformed reference beside a placeholder in a header, reported as a reference",
      input({ headers: { "X-A": "${env:X {nme}" } }),
      [],
    ],
    [
      "a colon written in a basic user name",
      input({ auth: { type: "basic", username: "svc:eu", password: "pw" } }),
      ['webhook.auth.username must not contain ":": Basic authentication splits'],
    ],
    [
      "a colon in a basic user name once its reference is resolved",
      input(
        { auth: { type: "basic", username: "${env:U}", password: "pw" } },
        { auth: { type: "basic", username: "svc:eu", password: "pw" } },
        true,
      ),
      ['webhook.auth.username must not contain ":" once its ${…} references are resolved'],
    ],
    [
      "a basic user name by reference, unresolved (the colon is the reference's)",
      input({ auth: { type: "basic", username: "${env:U}", password: "pw" } }),
      [],
    ],
    [
      "a malformed reference in a basic user name, reported as a reference",
      input({ auth: { type: "basic", username: "${env:U" } }),
      [],
    ],
    [
      "a resolved header value with a carriage return",
      input({ headers: { "X-A": "${env:V}" } }, { headers: { "X-A": "a\rb" } }, true),
      ["header X-A: its value contains a line break"],
    ],
    [
      "a NUL written in a header value",
      input({ headers: { "X-A": "a\u0000b" } }),
      [
        "webhook.headers.X-A must not contain the control character U+0000: a header value is text, spaces and tabs; remove it",
      ],
    ],
    [
      "a line feed written in a header value",
      input({ headers: { "X-A": "a\nb" } }),
      ["webhook.headers.X-A must not contain a line break (CR or LF)"],
    ],
    [
      "a carriage return written in a header value",
      input({ headers: { "X-A": "a\rb" } }),
      ["webhook.headers.X-A must not contain a line break (CR or LF)"],
    ],
    [
      "an escape character written in a header value",
      input({ headers: { "X-A": "a\u001bb" } }),
      ["webhook.headers.X-A must not contain the control character U+001B: a header value is text"],
    ],
    [
      "a resolved header value with an escape character",
      input({ headers: { "X-A": "${env:V}" } }, { headers: { "X-A": "a\u001bb" } }, true),
      ["header X-A: its value contains a control character (other than tab) once secrets are"],
    ],
    [
      "a resolved header value with DEL",
      input({ headers: { "X-A": "k-${env:V}" } }, { headers: { "X-A": "k-\u007f" } }, true),
      ["header X-A: its value contains a control character (other than tab)"],
    ],
    [
      "a resolved header value with a tab, which a header value may hold",
      input({ headers: { "X-A": "${env:V}" } }, { headers: { "X-A": "a\tb" } }, true),
      [],
    ],
    [
      "a resolved token with a line feed",
      input(
        { auth: { type: "token", token: "${env:T}" } },
        { auth: { type: "token", token: "abc\n" } },
        true,
      ),
      ["webhook.auth.token contains a line break (CR or LF) once secrets are resolved"],
    ],
    [
      "a resolved token with a carriage return",
      input(
        { auth: { type: "token", token: "${env:T}" } },
        { auth: { type: "token", token: "abc\r" } },
        true,
      ),
      ["webhook.auth.token contains a line break (CR or LF) once secrets are resolved"],
    ],
    [
      "a resolved token with a NUL",
      input(
        { auth: { type: "token", token: "${env:T}" } },
        { auth: { type: "token", token: "a\u0000b" } },
        true,
      ),
      ["webhook.auth.token contains a control character (other than tab) once secrets are"],
    ],
    [
      "a line feed written in a bearer token",
      input({ auth: { type: "token", token: "abc\ndef" } }),
      ["webhook.auth.token must not contain a line break (CR or LF)"],
    ],
    [
      "a line feed written in a bearer token, once secrets are resolved",
      input({ auth: { type: "token", token: "abc\ndef" } }, {}, true),
      ["webhook.auth.token must not contain a line break (CR or LF)"],
    ],
    [
      "a NUL written beside a reference in a bearer token",
      input({ auth: { type: "token", token: "${env:T}\u0000" } }),
      ["webhook.auth.token must not contain the control character U+0000"],
    ],
    [
      "a resolved basic password with a line feed, which goes in base64",
      input(
        { auth: { type: "basic", username: "u", password: "${env:P}" } },
        { auth: { type: "basic", username: "u", password: "p\nq" } },
        true,
      ),
      [],
    ],
    ["a signing secret padded with ==", input({ signing: { secret: "whsec_QUJDRA==" } }), []],
    ["a signing secret padded with =", input({ signing: { secret: "whsec_QUJDREU=" } }), []],
    [
      "a resolved signing secret without its == padding",
      input({ signing: { secret: "${env:S}" } }, { signing: { secret: "whsec_QUJDRA" } }, true),
      [
        "webhook.signing.secret must look like whsec_<base64> (a Standard Webhooks secret): its base64 lacks the = padding at the end (add ==)",
      ],
    ],
    [
      "a resolved signing secret without its = padding",
      input({ signing: { secret: "${env:S}" } }, { signing: { secret: "whsec_QUJDREU" } }, true),
      [
        "webhook.signing.secret must look like whsec_<base64> (a Standard Webhooks secret): its base64 lacks the = padding at the end (add =)",
      ],
    ],
    [
      "a single bad signing secret",
      input({ signing: { secret: "nope" } }),
      ["webhook.signing.secret must look like whsec_<base64>"],
    ],
    [
      "an upper-case http scheme with no host",
      input({ url: "HTTPS:///api/x" }),
      ["webhook.url has no host: write it as http(s)://host/path"],
    ],
    [
      "a plain http scheme with no host",
      input({ url: "http:///api/x" }),
      ["webhook.url has no host: write it as http(s)://host/path"],
    ],
    [
      "a URL with a host, naming one without a host in its query",
      input({ url: "https://h.example/r?to=http:///x" }),
      [],
    ],
    [
      "a URL reference that resolves to an upper-case scheme with no host",
      input({ url: "${env:U}" }, { url: "HTTPS:///api/x" }, true),
      ["webhook.url has no host once its ${…} references are resolved"],
    ],
    [
      "a URL reference whose value holds a # (the rest of it never sent)",
      input(
        { url: "https://h.example/hook?key=${env:K}" },
        { url: "https://h.example/hook?key=ab#cd" },
        true,
      ),
      ["webhook.url has a # once its ${…} references are resolved"],
    ],
    [
      "a URL given whole by reference, its fragment and all",
      input({ url: "${env:U}" }, { url: "https://h.example/hook#part" }, true),
      [],
    ],
    [
      "a fragment written in the URL, beside a reference",
      input({ url: "https://h.example/${env:P}#part" }, { url: "https://h.example/p#part" }, true),
      [],
    ],
    [
      "two placeholders in the URL, naming the first",
      input({ url: "https://example.com/{name}/{extensionNumber}" }),
      ["webhook.url is sent as written, so {name} would not be filled in"],
    ],
    [
      "initialDelay above the default maxDelay",
      input({ retry: { initialDelay: "2h" } }),
      ["webhook.retry.initialDelay (2h) must not be longer than webhook.retry.maxDelay (1h)"],
    ],
  ])("judges %s", (_, given, expected) => {
    const messages = checkRules(given).map((p) => p.message);
    expect(messages).toHaveLength(expected.length);
    expected.forEach((start, i) => expect(messages[i]).toContain(start));
  });

  it.each([
    ["not a valid URL", input({ url: "https://h.example:99999/" })],
    ["with a placeholder", input({ url: "https://example.com/{name}" })],
    ["with credentials", input({ url: "https://u:p@example.com/" })],
  ])("puts a URL's problem at webhook.url: %s", (_what, given) => {
    expect(checkRules(given).map((p) => p.path)).toEqual([["webhook", "url"]]);
  });

  it("leaves alone a URL whose reference stayed unresolved though others were resolved", () => {
    const given = {
      ...input({ url: "${env:U}" }, {}, true),
      unresolved: new Set([JSON.stringify(["webhook", "url"])]),
    };
    expect(checkRules(given)).toEqual([]);
  });

  it.each<[Partial<RawWebhook>["retry"], string]>([
    [{ initialDelay: "2h" }, "initialDelay"],
    [{ maxDelay: "500ms" }, "maxDelay"],
    [{ initialDelay: "5s", maxDelay: "1s" }, "initialDelay"],
  ])("points a retry of %j, initialDelay above maxDelay, at %s", (retry, key) => {
    expect(checkRules(input({ retry })).map((p) => p.path)).toEqual([["webhook", "retry", key]]);
  });

  it.each([
    ["a reserved header", { Host: "x" }],
    ["a repeated header", { "X-A": "1", "x-a": "2" }],
  ])("points %s at its name, not its value", (_what, headers) => {
    expect(checkRules(input({ headers })).map(({ path, onKey }) => ({ path, onKey }))).toEqual([
      { path: ["webhook", "headers", Object.keys(headers).at(-1)], onKey: true },
    ]);
  });

  it.each([
    ["whsec_QUJDRA", "its base64 lacks the = padding at the end (add ==)"],
    ["whsec_QUJDREU", "its base64 lacks the = padding at the end (add =)"],
    ["whsec_QUJDR", undefined],
    ["whsec_QU-D_A", undefined],
    ["whsec_", undefined],
    ["QUJDRA", undefined],
  ])("names the missing padding of %s only when padding would mend it", (secret, hint) => {
    const message = signingSecretMessage("webhook.signing.secret", secret);
    const shape =
      "webhook.signing.secret must look like whsec_<base64> (a Standard Webhooks secret)";
    expect(message).toBe(
      hint === undefined
        ? shape
        : `${shape}: ${hint}, which Standard Webhooks libraries differ on accepting, so hookswitch requires it`,
    );
  });

  it("never shows a resolved header value in its message", () => {
    const value = "TOP-SECRET\u0000";
    const given = input({ headers: { "X-A": "${env:V}" } }, { headers: { "X-A": value } }, true);
    expect(
      checkRules(given)
        .map((p) => p.message)
        .join(),
    ).not.toContain("TOP-SECRET");
  });

  it("never puts a secret value into a message", () => {
    const secret = "whsec_!!not-base64-TOP-SECRET";
    const messages = checkRules(input({ signing: { secret } })).map((p) => p.message);
    expect(messages).toHaveLength(1);
    expect(messages.join()).not.toContain("TOP-SECRET");
  });
});

describe("checkRules on a resolved secret refused for its form", () => {
  const signing = (secret: string) =>
    input({ signing: { secret: "${file:s}" } }, { signing: { secret } }, true);
  const url = (value: string) => input({ url: "${env:U}" }, { url: value }, true);
  const SHAPE = "webhook.signing.secret must look like whsec_<base64> (a Standard Webhooks secret)";

  it.each<[string, ReturnType<typeof input>, string]>([
    [
      "a signing secret with a zero-width space",
      signing("whsec_MfKQ9r8GKYqrTwjU\u200bPD8ILPZIo2LaLaSw"),
      `${SHAPE}: it holds a zero-width space (U+200B), which does not show: remove it`,
    ],
    [
      "a signing secret with a no-break space at its end",
      signing("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\u00a0"),
      `${SHAPE}: it holds a no-break space (U+00A0), which looks like a plain space but is not: remove it`,
    ],
    [
      "a signing secret from a .env file with Windows line ends",
      signing("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\r"),
      `${SHAPE}: it holds a carriage return (a Windows line end), which does not show: remove it`,
    ],
    // A file's last line end is trimmed; a blank line after it is not.
    [
      "a signing secret from a file that ends in a blank line",
      signing("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n"),
      `${SHAPE}: it holds a line feed, which does not show: remove it`,
    ],
    [
      "a signing secret with a tab",
      signing("whsec_MfKQ9r8GKYqrTwjU\tPD8ILPZIo2LaLaSw"),
      `${SHAPE}: it holds a tab, which does not show: remove it`,
    ],
    [
      "a signing secret with a DEL",
      signing("whsec_MfKQ9r8GKYqrTwjU\x7fPD8ILPZIo2LaLaSw"),
      `${SHAPE}: it holds a control character (U+007F), which does not show: remove it`,
    ],
    [
      "a signing secret with a unit separator (U+001F), the last control character before the space",
      signing("whsec_MfKQ9r8GKYqrTwjU\x1fPD8ILPZIo2LaLaSw"),
      `${SHAPE}: it holds a control character (U+001F), which does not show: remove it`,
    ],
    [
      "a signing secret with a leading space",
      signing(" whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
      `${SHAPE}: it starts or ends with a space, which does not show: remove it`,
    ],
    [
      "a signing secret with a trailing space",
      signing("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw "),
      `${SHAPE}: it starts or ends with a space, which does not show: remove it`,
    ],
    ["a signing secret that is only wrong", signing("nope"), SHAPE],
    [
      "a URL that starts with a byte-order mark",
      url("\ufeffhttps://crm.example.com/x"),
      "webhook.url is not a valid absolute URL: it holds a byte-order mark (U+FEFF), which does not show: remove it",
    ],
    [
      "a URL with a no-break space in its host",
      url("https://crm\u00a0.example.com/x"),
      "webhook.url is not a valid absolute URL: it holds a no-break space (U+00A0), which looks like a plain space but is not: remove it",
    ],
    [
      "a URL with a zero-width space before its scheme's colon",
      url("ftp\u200b://crm.example.com/x"),
      "webhook.url is not a valid absolute URL: it holds a zero-width space (U+200B), which does not show: remove it",
    ],
    [
      "a URL with a zero-width space at the end of its path, which it would send percent-encoded",
      url("https://crm.example.com/x\u200b"),
      "webhook.url holds a character that would be sent percent-encoded: it holds a zero-width space (U+200B), which does not show: remove it",
    ],
    [
      "a URL with a no-break space in its query",
      url("https://crm.example.com/x?a=\u00a0"),
      "webhook.url holds a character that would be sent percent-encoded: it holds a no-break space (U+00A0), which looks like a plain space but is not: remove it",
    ],
    ["a URL that is only wrong", url("not a url"), "webhook.url is not a valid absolute URL"],
    [
      "a URL around a reference not resolved yet, with a zero-width space",
      input({ url: "https://crm.example.com/${env:P}\u200b" }),
      "webhook.url holds a character that would be sent percent-encoded: it holds a zero-width space (U+200B), which does not show: remove it",
    ],
  ])("names what does not show in %s, and never the secret", (_, given, expected) => {
    const messages = checkRules(given).map((p) => p.message);
    expect(messages).toEqual([expected]);
    expect(messages.join()).not.toMatch(/MfKQ|crm/);
  });
});
