/**
 * One invalid integration file per rule that the schema or `validate` enforces (README.md,
 * "Write an integration"), with the exact
 * `line:col: message` validate must print for it. Lines 1-9 are a valid base document.
 */

const BASE = [
  "apiVersion: hookswitch/v1",
  "name: NAME",
  "scope:",
  "  account: acme",
  "trigger:",
  "  serviceType: mycloudpbx",
  "  events: [user.created]",
  "webhook:",
  "  url: http://127.0.0.1:8787/x",
];

/** The base document named `name`, lines replaced (1-based) and webhook lines appended. */
export function integrationYaml(
  name: string,
  replace: Record<number, string> = {},
  extra: string[] = [],
) {
  const lines = BASE.map((line, i) => replace[i + 1] ?? line.replace("NAME", name));
  return [...lines, ...extra].join("\n") + "\n";
}

export interface InvalidCase {
  rule: string;
  yaml: string;
  /** `line:col: message` expected after the file name. */
  expected: string;
}

const c = (rule: string, yaml: string, expected: string): InvalidCase => ({ rule, yaml, expected });
const n = (rule: string) => rule.replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");

export const INVALID_CASES: InvalidCase[] = [
  c(
    "unknown top-level key",
    integrationYaml("a", {}, ["colour: red"]),
    '10:1: unknown key "colour"',
  ),
  c(
    "unknown key in webhook",
    integrationYaml("b", {}, ["  mehtod: POST"]),
    '10:3: unknown key "mehtod" in webhook (did you mean "method"?)',
  ),
  c(
    "a typo of a required key, one mistake",
    integrationYaml("b2", { 7: "  event: [user.created]" }),
    '7:3: unknown key "event" in trigger (did you mean "events"?)',
  ),
  c(
    "missing required key",
    integrationYaml("c", { 9: "  method: POST" }),
    '8:1: missing required key "url" in webhook',
  ),
  c(
    "unresolved merge conflict",
    integrationYaml("a-conflict", {
      9: "<<<<<<< HEAD\n  url: http://127.0.0.1:8787/x\n=======\n  url: http://127.0.0.1:8787/y\n>>>>>>> feature",
    }),
    "9:1: unresolved merge conflict marker (<<<<<<<): resolve the conflict",
  ),
  c(
    "byte-order mark at the start of a later document",
    `${integrationYaml("bom-a")}---\n\ufeff${integrationYaml("bom-b")}`,
    '11:1: unknown key "\\ufeffapiVersion" (did you mean "apiVersion"?): it holds a byte-order mark (U+FEFF), which does not show: remove it',
  ),
  c(
    "no-break space in a key",
    integrationYaml("nbsp", { 2: "name\u00a0: nbsp" }),
    '2:1: unknown key "name\\u00a0" (did you mean "name"?): it holds a no-break space (U+00A0), which looks like a plain space but is not: remove it',
  ),
  c(
    "zero-width space in a value",
    integrationYaml("zwsp", {}, ['  method: "POST\u200b"']),
    '10:11: webhook.method must be POST or GET (got "POST\\u200b": it holds a zero-width space (U+200B), which does not show: remove it)',
  ),
  c(
    "zero-width space in a header name",
    integrationYaml("zwsp-header", {}, ["  headers:", "    X-Source\u200b: a"]),
    '11:5: header name "X-Source\\u200b" is not an HTTP token: it holds a zero-width space (U+200B), which does not show: remove it',
  ),
  c(
    "enabled no, a yaml 1.1 boolean",
    integrationYaml("yaml11-no", { 1: "apiVersion: hookswitch/v1\nenabled: no" }),
    '2:10: enabled must be true/false (got "no": YAML 1.2 reads no as text, not as false): write false',
  ),
  c(
    "enabled on in capitals, a yaml 1.1 boolean",
    integrationYaml("yaml11-on", { 1: "apiVersion: hookswitch/v1\nenabled: On" }),
    '2:10: enabled must be true/false (got "On": YAML 1.2 reads On as text, not as true): write true',
  ),
  c(
    "enabled true in quotes",
    integrationYaml("quoted-true", { 1: 'apiVersion: hookswitch/v1\nenabled: "TRUE"' }),
    '2:10: enabled must be true/false (got "TRUE": in quotes, it is text): write true',
  ),
  c(
    "enabled as another word",
    integrationYaml("other-word", { 1: "apiVersion: hookswitch/v1\nenabled: disabled" }),
    "2:10: enabled must be true/false (got a string)",
  ),
  c(
    "a placeholder header value without quotes, which YAML reads as a mapping",
    integrationYaml("unquoted-placeholder", {}, ["  headers:", "    X-User: {name}"]),
    '11:13: webhook.headers.X-User must be a string (got a mapping): a value that starts with "{" must be quoted, or YAML reads it as a mapping; write "{name}"',
  ),
  c(
    "a reference without quotes inside a flow mapping",
    integrationYaml("unquoted-reference", {}, ["  auth: { type: token, token: ${env:CRM_TOKEN} }"]),
    '10:31: YAML: inside { } or [ ], a value holding a ${…} reference must be quoted: write "${env:CRM_TOKEN}"',
  ),
  c(
    "placeholders without quotes inside a flow list",
    integrationYaml("unquoted-list", {}, [
      "  pathArguments: [{serviceUuid}, ext-{extensionNumber}]",
    ]),
    '10:34: YAML: inside { } or [ ], a value holding a "{" must be quoted: write "ext-{extensionNumber}"; quote "{serviceUuid}" too, or it is a mapping',
  ),
  c(
    "a single quote inside single quotes",
    integrationYaml("quote-in-quotes", {}, ["  headers:", "    X-Note: 'it's here'"]),
    "11:16: YAML: a ' inside a '…' value ends it: double it ('it''s here'), or put the value in double quotes",
  ),
  c(
    "wrong type",
    integrationYaml("d", {}, ["  maxInFlight: many"]),
    "10:16: webhook.maxInFlight must be a whole number (got a string)",
  ),
  c(
    "a YAML infinity as a constant, which no payload can carry",
    integrationYaml("d2", {}, ["  fields: {a: {value: .inf}}"]),
    "10:23: webhook.fields.a.value must be a string, a number, true/false or null (got .inf)",
  ),
  c(
    "an integer constant longer than JSON carries exactly, which would be rounded",
    integrationYaml("d4", {}, ["  fields: {id: {value: 12345678901234567890}}"]),
    "10:24: webhook.fields.id.value is a number beyond what JSON carries exactly (integers up to 9007199254740991 either way): put it in quotes to send it as text",
  ),
  c(
    "a constant extension written with a leading zero, which YAML reads as a number",
    integrationYaml("d6", {}, ["  fields: {ext: {value: 0123}}"]),
    '10:25: webhook.fields.ext.value is written 0123, which YAML reads as the number 123, and that is what would be sent: put it in quotes to send "0123"',
  ),
  c(
    "a constant phone number written with a leading +, which YAML reads as a number",
    integrationYaml("d7", {}, ["  fields:", "    did: {value: +61290000000}"]),
    '11:18: webhook.fields.did.value is written +61290000000, which YAML reads as the number 61290000000, and that is what would be sent: put it in quotes to send "+61290000000"',
  ),
  c(
    "a field name with a leading zero, which YAML reads as a number",
    integrationYaml("d8", {}, ["  fields:", "    007: extensionNumber"]),
    '11:5: webhook.fields: the field name 007 is read by YAML as the number 7, and "7" is the name that would be sent: put it in quotes to send "007"',
  ),
  c(
    "a field name in exponent notation, which YAML reads as a number",
    integrationYaml("d9", {}, ["  fields: {ext: name, 1e3: extensionNumber}"]),
    '10:23: webhook.fields: the field name 1e3 is read by YAML as the number 1000, and "1000" is the name that would be sent: put it in quotes to send "1e3"',
  ),
  c(
    "a header name in hex, which YAML reads as a number",
    integrationYaml("d10", {}, ["  headers:", "    0x1F: on"]),
    '11:5: webhook.headers: the header name 0x1F is read by YAML as the number 31, and "31" is the name that would be sent: put it in quotes to send "0x1F"',
  ),
  c(
    "more attempts than allowed",
    integrationYaml("d5", {}, ["  retry: {maxAttempts: 101}"]),
    "10:24: webhook.retry.maxAttempts must be at most 100 (got 101)",
  ),
  c(
    "a null key in fields",
    integrationYaml("d3", {}, ["  fields: {~: name}"]),
    "10:12: empty or null (~) key in webhook.fields: a key must be text",
  ),
  c(
    "a null key among the headers",
    integrationYaml("d3h", {}, ["  headers:", "    X-A: a", "    ~: b"]),
    "12:5: empty or null (~) key in webhook.headers: a header's name must be text; use letters, digits and !#$%&'*+-.^_`|~",
  ),
  c(
    "bad enum",
    integrationYaml("e", {}, ["  method: PUT"]),
    'webhook.method must be POST or GET (got "PUT")',
  ),
  c(
    "bad apiVersion",
    integrationYaml("f", { 1: "apiVersion: v2" }),
    '1:13: apiVersion must be hookswitch/v1 (got "v2")',
  ),
  c(
    "name not a DNS label",
    integrationYaml("g", { 2: "name: Bad_Name" }),
    "2:7: name must be a DNS label",
  ),
  c(
    "GET with json",
    integrationYaml("h", {}, ["  method: GET", "  format: json"]),
    '11:11: webhook.format must be query when method is GET (got "json")',
  ),
  c(
    "GET with form",
    integrationYaml("i", {}, ["  method: GET", "  format: form"]),
    '11:11: webhook.format must be query when method is GET (got "form")',
  ),
  c(
    "both scopes",
    integrationYaml("j", { 4: "  account: acme\n  service: 3f0c6f8e-6a0b-4a39-9b1e-0d6f1f3f4a11" }),
    "3:1: scope must have only one of account or service, not both",
  ),
  c(
    "neither scope",
    integrationYaml("k", { 4: "  {}" }).replace("scope:\n  {}", "scope: {}"),
    "3:1: scope needs account (an account integration) or service (a service integration)",
  ),
  c(
    "malformed UUID",
    integrationYaml("l", { 4: "  service: 3f0c6f8e-nope" }),
    '4:12: scope.service must be a service UUID like 3f0c6f8e-6a0b-4a39-9b1e-0d6f1f3f4a11 (got "3f0c6f8e-nope")',
  ),
  c(
    "duplicate events",
    integrationYaml("m", { 7: "  events: [user.created, user.created]" }),
    '7:26: trigger.events lists "user.created" more than once',
  ),
  c(
    "unknown event",
    integrationYaml("n", { 7: "  events: [user.updated]" }),
    '7:12: trigger.events[0] must be user.created, user.deleted or user.modified (got "user.updated")',
  ),
  c(
    "no events",
    integrationYaml("o", { 7: "  events: []" }),
    "7:11: trigger.events must list 1 to 3 event types (got 0)",
  ),
  c(
    "unknown placeholder",
    integrationYaml("p", {}, ['  pathArguments: ["ext-{extension}"]']),
    "10:19: unknown placeholder {extension} in webhook.pathArguments[0] (did you mean {extensionNumber}?)",
  ),
  c(
    "unknown field name",
    integrationYaml("q", {}, ["  fields:", "    ext: extension"]),
    '11:10: unknown field "extension" in webhook.fields.ext (did you mean extensionNumber?)',
  ),
  c(
    "a field named as the event's JSON names it",
    integrationYaml("q2", {}, ["  fields:", "    did: outboundNumber"]),
    '11:10: unknown field "outboundNumber" in webhook.fields.did (did you mean outboundPhoneNumber?)',
  ),
  c(
    "a field's mapping with a mistyped key",
    integrationYaml("q3", {}, ["  fields:", '    label: { tamplate: "{name}" }']),
    '11:5: webhook.fields.label must be a field name, {value: …} or {template: "…"} (got a mapping): the mapping takes only value or template, not "tamplate" (did you mean template?)',
  ),
  c(
    "bad header name",
    integrationYaml("r", {}, ["  headers:", "    Bad Name: x"]),
    '11:5: header name "Bad Name" is not an HTTP token',
  ),
  c(
    "header value with CR/LF",
    integrationYaml("s", {}, ["  headers:", '    X-A: "a\\r\\nX-Injected: 1"']),
    "11:10: webhook.headers.X-A must not contain a line break (CR or LF)",
  ),
  c(
    "null character in a header value",
    integrationYaml("s2", {}, ["  headers:", '    X-A: "a\\u0000b"']),
    "11:10: webhook.headers.X-A must not contain the control character U+0000: a header value is text, spaces and tabs; remove it",
  ),
  c(
    "reserved header Host",
    integrationYaml("t", {}, ["  headers:", "    host: example.com"]),
    "11:5: header host is set by hookswitch and cannot be set in webhook.headers; remove it",
  ),
  c(
    "reserved header Content-Type",
    integrationYaml("u", {}, ["  headers:", "    Content-Type: text/plain"]),
    "11:5: header Content-Type is set by hookswitch",
  ),
  c(
    "reserved header Content-Length",
    integrationYaml("v", {}, ["  headers:", '    Content-Length: "3"']),
    "11:5: header Content-Length is set by hookswitch",
  ),
  c(
    "framing header Content-Encoding",
    integrationYaml("v3", {}, ["  headers:", "    Content-Encoding: gzip"]),
    "11:5: header Content-Encoding cannot be sent: hookswitch sends bodies unencoded (identity), and a receiver would try to decode them; remove it",
  ),
  c(
    "hop-by-hop header TE",
    integrationYaml("v4", {}, ["  headers:", "    TE: trailers"]),
    "11:5: header TE cannot be sent: it speaks for one connection, not for the request (hop-by-hop)",
  ),
  c(
    "reserved header User-Agent",
    integrationYaml("v2", {}, ["  headers:", "    User-Agent: crm-sync/1.0"]),
    "11:5: header User-Agent is set by hookswitch",
  ),
  c(
    "Authorization with token auth",
    integrationYaml("w", {}, [
      '  auth: { type: token, token: "${env:T}" }',
      "  headers:",
      "    Authorization: x",
    ]),
    "12:5: header Authorization is set by webhook.auth (type token); remove it from webhook.headers",
  ),
  c(
    "authorization with basic auth",
    integrationYaml("w2", {}, [
      "  auth: { type: basic, username: hooks }",
      "  headers:",
      "    X-Source: myecn",
      "    authorization: x",
    ]),
    "13:5: header authorization is set by webhook.auth (type basic); remove it from webhook.headers",
  ),
  c(
    "a Basic user name with a colon, which the receiver would split there",
    integrationYaml("w2b", {}, ['  auth: { type: basic, username: "svc:eu", password: pw }']),
    '10:34: webhook.auth.username must not contain ":": Basic authentication splits the user name from the password at the first ":"',
  ),
  c(
    "unknown placeholder in a header value",
    integrationYaml("w3", {}, ["  headers:", '    X-Ext: "{extension}"']),
    "11:12: unknown placeholder {extension} in webhook.headers.X-Ext (did you mean {extensionNumber}?)",
  ),
  c(
    "malformed reference in the description",
    integrationYaml("w4", { 1: 'apiVersion: hookswitch/v1\ndescription: "costs ${5}"' }),
    '2:14: description: malformed reference "${5}": write ${env:NAME} or ${file:/path}, or $${ for a literal ${',
  ),
  c(
    "malformed reference",
    integrationYaml("x", {}, ['  auth: { type: token, token: "${TOKEN}" }']),
    '10:31: webhook.auth.token: malformed reference "${TOKEN}"',
  ),
  c(
    "unterminated reference",
    integrationYaml("y", {}, ["  headers:", '    X-Key: "${env:KEY"']),
    'webhook.headers.X-Key: unterminated reference "${env:…": end it with }',
  ),
  c(
    "token auth without token",
    integrationYaml("z", {}, ["  auth:", "    type: token"]),
    '10:3: missing required key "token" in webhook.auth',
  ),
  c(
    "timeout over 60s",
    integrationYaml("aa", {}, ["  timeout: 2m"]),
    "10:12: webhook.timeout must be more than 0 and at most 60s (got 2m)",
  ),
  c(
    "timeout of 0",
    integrationYaml("aa2", {}, ["  timeout: 0ms"]),
    "10:12: webhook.timeout must be more than 0 and at most 60s (got 0ms)",
  ),
  c(
    "a key run into its value",
    integrationYaml("ad", {}, ["  auth: { type: basic, username: u, password:hunter2 }"]),
    '10:37: unknown key "password:…" in webhook.auth: a key\'s colon needs a space after it, or the value is read as part of the key: write password: and a space before the value',
  ),
  c(
    "auth type Bearer",
    integrationYaml("ac", {}, ['  auth: { type: Bearer, token: "${env:T}" }']),
    '10:17: webhook.auth.type must be none, basic or token (got "Bearer") (did you mean "token"?)',
  ),
  c(
    "bad duration",
    integrationYaml("ab", {}, ["  timeout: 10"]),
    "10:12: webhook.timeout must be a duration like 250ms, 10s, 5m or 1h (got a whole number): write 10s for seconds",
  ),
  c(
    "initialDelay over maxDelay",
    integrationYaml("ac", {}, ["  retry: { initialDelay: 10m, maxDelay: 1m }"]),
    "10:26: webhook.retry.initialDelay (10m) must not be longer than webhook.retry.maxDelay (1m)",
  ),
  c(
    "relative url",
    integrationYaml("ad", { 9: "  url: /relative/path" }),
    "9:8: webhook.url must be an absolute URL starting with http:// or https://",
  ),
  c(
    "url with a space",
    integrationYaml("ad01", { 9: '  url: "https://crm.example.com/a b"' }),
    "9:8: webhook.url must not hold spaces or other white space: write a space in a path or query as %20",
  ),
  c(
    "url with a zero-width space at its end",
    integrationYaml("ad02", { 9: '  url: "https://crm.example.com/x\u200b"' }),
    "9:8: webhook.url holds a character that would be sent percent-encoded: it holds a zero-width space (U+200B), which does not show: remove it",
  ),
  c(
    "url with a zero-width space at its start",
    integrationYaml("ad03", { 9: '  url: "\u200bhttps://crm.example.com/x"' }),
    "9:8: webhook.url must be an absolute URL starting with http:// or https:// (or a single ${env:…}/${file:…} reference): it holds a zero-width space (U+200B), which does not show: remove it",
  ),
  c(
    "retry without a pause",
    integrationYaml("ad0", {}, ["  retry: { initialDelay: 0s }"]),
    "10:26: webhook.retry.initialDelay must be at least 100ms (got 0s): retries need a pause between them",
  ),
  c(
    "url without a host",
    integrationYaml("ad1", { 9: "  url: https:///api/callbacks" }),
    "9:8: webhook.url has no host: write it as http(s)://host/path",
  ),
  c(
    "url with user info",
    integrationYaml("ad2", { 9: "  url: https://hooks:pa55@127.0.0.1:8787/x" }),
    "9:8: webhook.url must not carry user:password@; use webhook.auth type basic",
  ),
  c(
    "url with user info after a scheme in capitals",
    integrationYaml("ad3", { 9: "  url: HTTPS://hooks:pa55@127.0.0.1:8787/x" }),
    "9:8: webhook.url must not carry user:password@; use webhook.auth type basic",
  ),
  c(
    "url without a host after a scheme in capitals",
    integrationYaml("ad4", { 9: "  url: Https:///api/callbacks" }),
    "9:8: webhook.url has no host: write it as http(s)://host/path",
  ),
  c(
    "plaintext secret in a rotation list",
    integrationYaml("ae2", {}, ['  signing: { secret: ["${env:NEW}", old-secret] }']),
    "10:37: webhook.signing.secret[1] must look like whsec_<base64>",
  ),
  c(
    "signing secret without its base64 padding",
    integrationYaml("ae3", {}, ["  signing: { secret: whsec_QUJDRA }"]),
    "10:22: webhook.signing.secret must look like whsec_<base64> (a Standard Webhooks secret): its base64 lacks the = padding at the end (add ==), which Standard Webhooks libraries differ on accepting, so hookswitch requires it; better, keep it out of the file: ${env:NAME} or ${file:/path}",
  ),
  c(
    "literal bad signing secret",
    integrationYaml("ae", {}, ["  signing: { secret: not-a-secret }"]),
    "10:22: webhook.signing.secret must look like whsec_<base64> (a Standard Webhooks secret); better, keep it out of the file: ${env:NAME} or ${file:/path}",
  ),
  c(
    "duplicate YAML key",
    integrationYaml("af", {}, ["  url: http://127.0.0.1:8787/y"]),
    '10:3: duplicate key "url"',
  ),
  c(
    "an account number unquoted",
    integrationYaml("num-account", { 4: "  account: 12345" }),
    "4:12: scope.account must be a string (got a whole number): YAML reads it as a number; put it in quotes, as written, to make it text",
  ),
  c(
    "a header value true unquoted",
    integrationYaml("bool-header", {}, ["  headers:", "    X-Debug: true"]),
    "11:14: webhook.headers.X-Debug must be a string (got true/false): YAML reads it as true; put it in quotes to make it text",
  ),
  c(
    "retry at the top level",
    integrationYaml("retry-top", {}, ["retry:", "  maxAttempts: 3"]),
    '10:1: unknown key "retry": it belongs under webhook',
  ),
  c(
    "enabled under webhook",
    integrationYaml("enabled-webhook", {}, ["  enabled: false"]),
    '10:3: unknown key "enabled" in webhook: it belongs at the top level',
  ),
  c(
    "two field keys that are one once read",
    integrationYaml("af0", {}, ["  fields:", "    1: name", '    "1": extensionNumber']),
    '12:5: duplicate key "1": each key may appear only once in a mapping (1 and "1" are the same key)',
  ),
  c(
    "too many aliases",
    "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
    "2:8: too many YAML alias references",
  ),
  c(
    "document that is not a mapping",
    "- a\n- b\n",
    "1:1: the document must be a mapping (got a list)",
  ),
].map((x) => ({ ...x, rule: n(x.rule) }));
