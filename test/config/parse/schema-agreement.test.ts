import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Validator } from "@cfworker/json-schema";
import { Ajv2020 } from "ajv/dist/2020.js";
import fc from "fast-check";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { parseDuration } from "../../../src/config/durations.js";
import type { RawIntegration } from "../../../src/config/parse/raw.js";
import { applyReferences } from "../../../src/config/references.js";
import { UNPARSABLE_URL } from "../../../src/config/rules/url-rules.js";
import { checkRules, durationLimits } from "../../../src/config/rules/rules.js";
import { readSchemaText, schemaErrors } from "../../../src/config/parse/schema.js";
import { joinSegments, parseReferences } from "../../../src/config/secrets.js";
import { integrationObject } from "../../support/config-dir.js";
import { REPO } from "../../support/cli.js";

/**
 * The schema is the single source of the file format: a second, independent JSON Schema
 * 2020-12 implementation must reach the same verdict as the one hookswitch uses, on the
 * examples and on every rule a schema can express.
 */
const independent = new Validator(
  JSON.parse(readSchemaText("integration")) as object,
  "2020-12",
  false,
);

function verdicts(document: unknown) {
  const ours = schemaErrors(structuredClone(document)).length === 0;
  const theirs = independent.validate(structuredClone(document)).valid;
  return { ours, theirs };
}

const examples = readdirSync(join(REPO, "integrations.d"))
  .filter((f) => f.endsWith(".yaml"))
  .flatMap((file) =>
    parseAllDocuments(readFileSync(join(REPO, "integrations.d", file), "utf8")).map(
      (doc, i) => [`${file} #${i + 1}`, doc.toJS() as unknown] as const,
    ),
  );

const broken: [string, Record<string, unknown>][] = [
  ["an unknown key", { colour: "blue" }],
  ["a wrong apiVersion", { apiVersion: "hookswitch/v2" }],
  ["a name that is not a DNS label", { name: "Not A Label" }],
  ["enabled as a string", { enabled: "yes" }],
  ["both scopes", { scope: { account: "acme", service: "3f0c6f8e-6a0b-4a39-9b1e-0d6f1f3f4a11" } }],
  ["no scope", { scope: {} }],
  ["a malformed service UUID", { scope: { service: "not-a-uuid" } }],
  ["an unknown event", { trigger: { serviceType: "mycloudpbx", events: ["user.exploded"] } }],
  [
    "duplicate events",
    { trigger: { serviceType: "mycloudpbx", events: ["user.created", "user.created"] } },
  ],
  ["no events", { trigger: { serviceType: "mycloudpbx", events: [] } }],
  ["a relative URL", { webhook: { url: "/hooks" } }],
  ["PUT", { webhook: { url: "https://x.example/h", method: "PUT" } }],
  ["GET with json", { webhook: { url: "https://x.example/h", method: "GET", format: "json" } }],
  ["GET with form", { webhook: { url: "https://x.example/h", method: "GET", format: "form" } }],
  [
    "a header name with a space",
    { webhook: { url: "https://x.example/h", headers: { "X A": "b" } } },
  ],
  [
    "a header value with CR/LF",
    { webhook: { url: "https://x.example/h", headers: { "X-A": "a\r\nB: c" } } },
  ],
  ["a bad duration", { webhook: { url: "https://x.example/h", timeout: "10 seconds" } }],
  ["maxAttempts 0", { webhook: { url: "https://x.example/h", retry: { maxAttempts: 0 } } }],
  [
    "token auth without a token",
    { webhook: { url: "https://x.example/h", auth: { type: "token" } } },
  ],
  ["an unknown field name", { webhook: { url: "https://x.example/h", fields: { a: "nope" } } }],
  ["maxInFlight 0", { webhook: { url: "https://x.example/h", maxInFlight: 0 } }],
  ["maxAttempts 101", { webhook: { url: "https://x.example/h", retry: { maxAttempts: 101 } } }],
  [
    "a constant integer beyond 2^53 - 1",
    { webhook: { url: "https://x.example/h", fields: { id: { value: 2 ** 53 } } } },
  ],
  [
    "a constant integer below -(2^53 - 1)",
    { webhook: { url: "https://x.example/h", fields: { id: { value: -(2 ** 53) } } } },
  ],
];

describe("the integration schema", () => {
  it.each(examples)("is valid for both validators: %s", (_name, document) => {
    expect(verdicts(document)).toEqual({ ours: true, theirs: true });
  });

  it("is valid for both validators on the smallest integration", () => {
    expect(verdicts(integrationObject("minimal"))).toEqual({ ours: true, theirs: true });
  });

  it.each([2 ** 53 - 1, -(2 ** 53 - 1), 1.5, 0])(
    "is valid for both validators with the constant %d, which JSON carries exactly",
    (value) => {
      const document = integrationObject("exact");
      document.webhook = { url: "https://x.example/h", fields: { id: { value } } };
      expect(verdicts(document)).toEqual({ ours: true, theirs: true });
    },
  );

  it.each(broken)("is invalid for both validators with %s", (_name, overrides) => {
    const document = { ...integrationObject("broken"), ...overrides };
    if (overrides.webhook) document.webhook = overrides.webhook;
    expect(verdicts(document)).toEqual({ ours: false, theirs: false });
  });
});

/**
 * What `validate` decides after the schema, on a document of the right shape: secret
 * references (kept, as `validate` does without --resolve-secrets) and every rule.
 */
function validateVerdict(document: unknown): boolean {
  const references = applyReferences(document, "keep", { env: {}, readFile: () => "" });
  const raw = document as RawIntegration;
  return (
    references.problems.length === 0 &&
    checkRules({ raw, value: raw, resolved: false }).length === 0
  );
}

type Webhook = Record<string, unknown>;
const URL_OK = "https://x.example/h";
const hook = (webhook: Webhook) => ({ webhook: { url: URL_OK, ...webhook } });
const header = (name: string, value = "x", auth?: Webhook) =>
  hook({ headers: { [name]: value }, ...(auth ? { auth } : {}) });
const TOKEN = { type: "token", token: "${env:T}" };
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/** Rules `validate` checks that the schema now expresses too: [name, overrides, valid]. */
const expressed: [string, Record<string, unknown>, boolean][] = [
  // Reserved headers, in any letter case; Authorization only with basic or token auth.
  ...[
    "Host",
    "host",
    "hOsT",
    "Content-Length",
    "content-length",
    "CONTENT-TYPE",
    "Content-type",
    "Transfer-Encoding",
    "connection",
    "Keep-Alive",
    "upgrade",
    "Expect",
    "expect",
    "User-Agent",
    "webhook-id",
    "Webhook-Timestamp",
    "WEBHOOK-SIGNATURE",
    // Headers that would break the request's framing or encoding.
    "Content-Encoding",
    "content-encoding",
    "CONTENT-ENCODING",
    "TE",
    "te",
    "Te",
    "Trailer",
    "tRAILER",
    "Proxy-Connection",
    "proxy-connection",
  ].map((name): [string, Record<string, unknown>, boolean] => [
    `reserved header ${name}`,
    header(name),
    false,
  ]),
  ["Authorization with token auth", header("Authorization", "x", TOKEN), false],
  ["authorization with basic auth", header("authorization", "x", { type: "basic" }), false],
  ["AUTHORIZATION with basic auth", header("AUTHORIZATION", "x", { type: "basic" }), false],
  ...["X-Host", "Hostname", "Host-Name", "X-Content-Type", "Content-Types", "Content", "Webhook"]
    .concat(["Webhook-Ids", "User-Agents", "Upgrade-Insecure-Requests", "Keep-Alive-X"])
    .concat(["Content-Encodings", "X-Content-Encoding", "Content-Language", "T", "Tes", "X-TE"])
    .concat(["Trailers", "Proxy", "Proxy-Connections", "Proxy-Authorization"])
    .map((name): [string, Record<string, unknown>, boolean] => [
      `the near-miss header ${name}`,
      header(name),
      true,
    ]),
  // Header values: text, spaces and tabs; no control character (RFC 9110 field values).
  ...["\u0000", "\u0001", "\u0008", "\n", "\u000b", "\r", "\r\n", "\u001b", "\u001f", "\u007f"].map(
    (c): [string, Record<string, unknown>, boolean] => [
      `a header value with U+${c.charCodeAt(0).toString(16).padStart(4, "0")}${c.length > 1 ? "…" : ""}`,
      header("X-A", `a${c}b`),
      false,
    ],
  ),
  ...["\t", " ", "~", "\u0080", "\u0085", "\u00a0", "é", "\u2028", "李"].map(
    (c): [string, Record<string, unknown>, boolean] => [
      `a header value with U+${c.charCodeAt(0).toString(16).padStart(4, "0")}${c.length > 1 ? "…" : ""}`,
      header("X-A", `a${c}b`),
      true,
    ],
  ),
  ["a NUL in a file reference of a header value", header("X-A", "${file:/a\u0000b}"), false],
  ["Authorization without auth", header("Authorization"), true],
  ["Authorization with auth type none", header("Authorization", "x", { type: "none" }), true],
  ["Authorization with auth without a type", header("Authorization", "x", {}), true],
  ["X-Authorization with token auth", header("X-Authorization", "x", TOKEN), true],
  ["Authorizations with token auth", header("Authorizations", "x", TOKEN), true],
  // The timeout: more than 0, at most 60 s.
  ...["61s", "0ms", "0s", "0m", "0h", "2m", "1h", "60001ms", "00061s", "000000000ms"].map(
    (t): [string, Record<string, unknown>, boolean] => [
      `timeout ${t}`,
      hook({ timeout: t }),
      false,
    ],
  ),
  ...["60s", "60000ms", "1m", "060s", "00000001m", "1ms", "059999ms", "10s", "000000060s"].map(
    (t): [string, Record<string, unknown>, boolean] => [`timeout ${t}`, hook({ timeout: t }), true],
  ),
  // A signing secret written out must be a whsec_ secret; references are judged resolved.
  ["a plaintext signing secret", hook({ signing: { secret: "not-a-secret" } }), false],
  ["a whsec_ secret of bad base64", hook({ signing: { secret: "whsec_abc" } }), false],
  ["an empty whsec_ secret", hook({ signing: { secret: "whsec_" } }), false],
  ["a plaintext secret in a list", hook({ signing: { secret: [SECRET, "plain"] } }), false],
  ["a whsec_ secret written out", hook({ signing: { secret: SECRET } }), true],
  ["a secret reference", hook({ signing: { secret: "${env:S}" } }), true],
  ["a secret with a reference inside", hook({ signing: { secret: "whsec_${file:/s}" } }), true],
  ["a rotation list", hook({ signing: { secret: [SECRET, "${env:OLD}"] } }), true],
  ["a secret with a malformed reference", hook({ signing: { secret: "${S}" } }), false],
  // User-info in a URL written out.
  ...[
    "https://u:p@host/",
    "https://u@host/",
    "https://:p@host/",
    "http://a@b@host/x",
    "https:///u:p@host/",
    "https://\\u:p@host/",
    "https://u:p@host",
    "https://:@@host/",
    // Credentials by reference are credentials too, and so are escaped references.
    "https://${env:CREDENTIALS}@host/",
    "https://u:p@${env:HOST}/",
    "https://u:p@host/?k=${env:X}",
    "https://${file:/run/secrets/user}:${file:/run/secrets/password}@host/",
    "https://:${env:PASSWORD}@host/",
    "https://$${x}@host/",
    "https://$${@u",
    // No host: a URL parser would take the first path segment for one.
    "https:///api/callbacks",
    "https://\\host/x",
    // What no URL parser takes: no host before a port, query or fragment, a port past
    // 65535, an open IPv6 bracket, a % in the host without two hex digits.
    "http://:80/x",
    "http://?x",
    "http://#f",
    "https://@/x",
    "https://u:p@:80/",
    "https://x.example.com:99999/",
    "https://host:65536/",
    "https://host:0065536/",
    "http://[::1/",
    "http://%zz/",
    // Placeholders are not filled in in a URL, written out or after an escaped ${.
    "https://host/users/{extensionNumber}",
    "https://host/h?x={nmae}",
    "https://host/$${x}{name}",
    "https://${env:HOST}/{name}",
  ].map((url): [string, Record<string, unknown>, boolean] => [
    `the URL ${url}`,
    { webhook: { url } },
    false,
  ]),
  ...[
    "https://host/a@b",
    "https://host/?u=a@b",
    "https://host/#a@b",
    "https://@host/",
    "https://:@host/",
    "https://:@${env:HOST}/",
    "https://${file:/a}/b@c",
    "https://${env:HOST}/?u=a@b",
    "${env:URL}",
    "https://host/{}",
    "https://host/%7Bname%7D",
    "https://host/{1a}",
    "https://host/${file:/a/{name}}",
    "https://host/?k=$${name}",
    "https://host/{$${env:X}u}u",
    "https://host/?k=$$${name}{x",
    "http://[::1]:8080/",
    "https://host:65535/",
    "http://h:0000080/x",
    "http://h:065535/",
    "http://host/%zz",
    "https://%41bc/",
    "https://${env:HOST}:8443/",
    // An escaped ${ is text: the ? after it begins the query, where an @ is no user-info.
    "https://$${?{name}@",
    "https://$${?u=${env:X}@h",
    "https://$$$${?x}@h",
  ].map((url): [string, Record<string, unknown>, boolean] => [
    `the URL ${url}`,
    { webhook: { url } },
    true,
  ]),
  // Unknown {placeholders} where placeholders are filled in.
  ["an unknown placeholder in a path argument", hook({ pathArguments: ["{extension}"] }), false],
  ["an unknown placeholder in a header value", header("X-A", "{nam}"), false],
  ["an unknown placeholder in a template", hook({ fields: { a: { template: "{foo} x" } } }), false],
  ["an escaped ${ and a name after it: text, not a placeholder", header("X-A", "$${foo}"), true],
  ["an escaped ${ and a known name after it", hook({ pathArguments: ["$${name}"] }), true],
  [
    "a signing secret written out with an escaped ${",
    hook({ signing: { secret: "$${env:S}" } }),
    false,
  ],
  [
    "a signing secret of escapes and a reference",
    hook({ signing: { secret: "$${x}${env:S}" } }),
    true,
  ],
  ["an escaped ${file: before an unknown placeholder", header("X-A", "$$${file:/{foo}"), false],
  ["known placeholders", hook({ pathArguments: ["{serviceUuid}", "ext-{extensionNumber}"] }), true],
  ["JSON braces in a template", hook({ fields: { a: { template: '{"a": {name}}' } } }), true],
  ["braces around a non-name", header("X-A", "{} {1a} {a-b} { name }"), true],
  ["a file reference ending in braces", hook({ pathArguments: ["${file:/a/{foo}"] }), true],
  ["an unknown placeholder in a constant", hook({ fields: { a: { value: "{foo}" } } }), true],
  // Malformed ${…} references, in any free text.
  ["a malformed reference in the description", { description: "costs ${5}" }, false],
  [
    "an env name starting with a digit",
    hook({ auth: { type: "token", token: "${env:1X}" } }),
    false,
  ],
  ["a file reference with a space", hook({ tls: { ca: "${file: /ca.pem}" } }), false],
  ["an empty file reference", hook({ tls: { ca: "${file:}" } }), false],
  ["an unterminated reference", header("X-Key", "${env:KEY"), false],
  ["a malformed reference in the URL", { webhook: { url: "https://h/${nope}" } }, false],
  ["a malformed reference in a constant", hook({ fields: { a: { value: "${x}" } } }), false],
  ["a malformed reference in the account", { scope: { account: "${account}" } }, false],
  ["an escaped ${", { description: "costs $${5} or $5 or $$" }, true],
  [
    "well-formed references",
    hook({ auth: { type: "basic", password: "a${env:P}${file:/p}" } }),
    true,
  ],
  ["a Basic user name with a colon", hook({ auth: { type: "basic", username: "a:b" } }), false],
  [
    "a Basic user name of references, whose colons are theirs",
    hook({ auth: { type: "basic", username: "svc-${env:U}${file:/u}" } }),
    true,
  ],
  [
    "a Basic user name with an escaped ${ and a colon after it",
    hook({ auth: { type: "basic", username: "$${env:U}" } }),
    false,
  ],
];

const schema = JSON.parse(readSchemaText("integration")) as {
  $defs: Record<string, { pattern: string }>;
  properties: { webhook: { properties: Record<string, object> } };
};

/** Both validators on one subschema (with the root's `$defs`), for checks over many values. */
function subschemaVerdicts(property: string) {
  const sub = {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    ...schema.properties.webhook.properties[property],
    $defs: schema.$defs,
  };
  const ajv = new Ajv2020({ strict: true }).compile(sub);
  const other = new Validator(sub, "2020-12", false);
  return (value: unknown) => ({
    ours: ajv(value),
    theirs: other.validate(value).valid,
  });
}

describe("the integration schema and validate's rules", () => {
  it("refuse an unparsable URL by one pattern", () => {
    const url = schema.properties.webhook.properties.url as {
      allOf: { not: { pattern: string } }[];
    };
    expect(new RegExp(url.allOf[2]?.not.pattern ?? "").source).toBe(UNPARSABLE_URL.source);
  });

  it.each(expressed)("agree on %s", (_name, overrides, valid) => {
    const document = { ...integrationObject("rules"), ...overrides };
    expect({ ...verdicts(document), validate: validateVerdict(document) }).toEqual({
      ours: valid,
      theirs: valid,
      validate: valid,
    });
  });

  it("agree on every timeout: 0..70000ms, 0..100s, 0..3m and h, with leading zeros", () => {
    const timeout = subschemaVerdicts("timeout");
    const numbers = { ms: 70_000, s: 100, m: 3, h: 3 } as const;
    const disagreements: string[] = [];
    let checked = 0;
    for (const [unit, last] of Object.entries(numbers)) {
      for (let n = 0; n <= last; n++) {
        const digits = String(n);
        // As written, one leading zero, padded to 9 digits (the most), and to 10 (too many).
        for (const zeros of new Set([0, 1, 9 - digits.length, 10 - digits.length])) {
          const text = `${"0".repeat(Math.max(zeros, 0))}${digits}${unit}`;
          const ms = parseDuration(text);
          const rule =
            ms !== undefined &&
            durationLimits({ raw: hook({ timeout: text }) } as never).length === 0;
          const { ours, theirs } = timeout(text);
          checked++;
          if (ours !== rule || theirs !== rule) {
            disagreements.push(`${text}: schema ${ours}/${theirs}, validate ${rule}`);
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(280_000);
    expect(disagreements).toEqual([]);
  });

  it("agree on every retry delay: 0..1000ms, 0..100s, 0..3m and h, with leading zeros", () => {
    const retry = subschemaVerdicts("retry");
    const numbers = { ms: 1_000, s: 100, m: 3, h: 3 } as const;
    const disagreements: string[] = [];
    for (const [unit, last] of Object.entries(numbers)) {
      for (let n = 0; n <= last; n++) {
        for (const zeros of ["", "0", "00000"]) {
          const text = `${zeros}${n}${unit}`;
          for (const key of ["initialDelay", "maxDelay"] as const) {
            // The other delay is the default's side of it, so that only the floor is judged.
            const value =
              key === "initialDelay"
                ? { initialDelay: text, maxDelay: "24h" }
                : { initialDelay: "100ms", maxDelay: text };
            const ms = parseDuration(text) ?? 0;
            const rule = durationLimits({ raw: hook({ retry: value }) } as never).length === 0;
            const { ours, theirs } = retry(value);
            if (
              ours !== rule ||
              theirs !== rule ||
              rule !== ms >= 100 ||
              (key === "maxDelay" && rule && ms < 100)
            ) {
              disagreements.push(`${key} ${text}: schema ${ours}/${theirs}, validate ${rule}`);
            }
          }
        }
      }
    }
    expect(disagreements).toEqual([]);
  });

  // Text assembled from the pieces of references, escapes and placeholders.
  const pieces = [
    "$",
    "$$",
    "${",
    "${file:/",
    "${env:",
    "{",
    "}",
    "{nam}",
    "{name}",
    "/",
    " ",
  ].concat(["\u00a0", "n", "X", "1", "_", ":", "\t", "\n", "\u0000", "\u007f"]);
  const text = fc.array(fc.constantFrom(...pieces), { maxLength: 12 }).map((p) => p.join(""));

  it.each<[string, (s: string) => Record<string, unknown>]>([
    ["a header value (references and placeholders)", (s) => header("X-A", s)],
    ["a path argument (references and placeholders)", (s) => hook({ pathArguments: [`a${s}`] })],
    ["a template (references and placeholders)", (s) => hook({ fields: { a: { template: s } } })],
    ["the description (references)", (s) => ({ description: s })],
    ["a constant (references)", (s) => hook({ fields: { a: { value: s } } })],
    ["a signing secret (references, whsec_)", (s) => hook({ signing: { secret: s || "x" } })],
  ])("agree on generated text in %s", (_name, place) => {
    fc.assert(
      fc.property(text, (s) => {
        const document = { ...integrationObject("text"), ...place(s) };
        const valid = validateVerdict(document);
        expect({ ...verdicts(document), validate: valid }).toEqual({
          ours: valid,
          theirs: valid,
          validate: valid,
        });
      }),
      { numRuns: 2500 },
    );
  });

  it("agree on generated URLs that parse (user-info, references, placeholders)", () => {
    const parts = [
      "u",
      ":",
      "@",
      "/",
      "\\",
      "?",
      "#",
      "h",
      "$",
      "${env:X}",
      ".",
      "{name}",
      "{",
      "}",
    ];
    const url = fc
      .array(fc.constantFrom(...parts), { minLength: 1, maxLength: 10 })
      .map((p) => `https://${p.join("")}`)
      // A URL written out that does not parse is `validate`'s alone (see the schema's
      // description); user-info is judged on the rest.
      .filter((u) => {
        const parsed = parseReferences(u);
        if (!parsed.ok || parsed.segments.some((s) => s.kind !== "text")) return true;
        return URL.canParse(joinSegments(parsed.segments, () => "").value);
      });
    fc.assert(
      fc.property(url, (u) => {
        const document = { ...integrationObject("url"), webhook: { url: u } };
        const valid = validateVerdict(document);
        expect({ ...verdicts(document), validate: valid }).toEqual({
          ours: valid,
          theirs: valid,
          validate: valid,
        });
      }),
      { numRuns: 3000 },
    );
  });
});
