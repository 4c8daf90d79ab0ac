import { describe, expect, it } from "vitest";
import { describeSchemaErrors } from "../../../src/config/parse/schema-errors.js";
import { schemaErrors } from "../../../src/config/parse/schema.js";
import { makeRawIntegration } from "../../support/integration.js";

/** The messages for a document whose webhook has `webhook` (data as YAML reads it). */
function messages(webhook: Record<string, unknown>): string[] {
  const data = makeRawIntegration(webhook);
  return describeSchemaErrors(schemaErrors(data), data).map((i) => i.message);
}

const QUOTE = 'a value that starts with "{" must be quoted, or YAML reads it as a mapping';

describe("describeSchemaErrors on a placeholder written without quotes", () => {
  // YAML reads an unquoted `{name}` as the mapping {name: null}.
  it.each<[string, Record<string, unknown>, string]>([
    [
      "X-User: {name}",
      { headers: { "X-User": { name: null } } },
      `webhook.headers.X-User must be a string (got a mapping): ${QUOTE}; write "{name}"`,
    ],
    [
      "label: { template: {name} }",
      { fields: { label: { template: { name: null } } } },
      `webhook.fields.label.template must be a string (got a mapping): ${QUOTE}; write "{name}"`,
    ],
    [
      "pathArguments: [{serviceUuid}]",
      { pathArguments: [{ serviceUuid: null }] },
      `webhook.pathArguments[0] must be a string (got a mapping): ${QUOTE}; write "{serviceUuid}"`,
    ],
    [
      "X-Both: {name, extensionNumber}",
      { headers: { "X-Both": { name: null, extensionNumber: null } } },
      `webhook.headers.X-Both must be a string (got a mapping): ${QUOTE}; write "{name, extensionNumber}"`,
    ],
    [
      "label: {name}",
      { fields: { label: { name: null } } },
      'webhook.fields.label must be a field name, {value: …} or {template: "…"} (got a mapping): ' +
        'YAML reads {name} unquoted as a mapping; write name to send the field, or {template: "{name}"} for text around it',
    ],
    // Text that is no field name may be a secret written out by mistake: never echoed.
    [
      "token: {tok3n-9f8e7d}",
      { auth: { type: "token", token: { "tok3n-9f8e7d": null } } },
      `webhook.auth.token must be a string (got a mapping): ${QUOTE}; write "{name}"`,
    ],
    // A mapping meant as one is not a placeholder: no hint.
    [
      "X-User: {a: 1}",
      { headers: { "X-User": { a: 1 } } },
      "webhook.headers.X-User must be a string (got a mapping)",
    ],
    [
      "token: {}",
      { auth: { type: "token", token: {} } },
      "webhook.auth.token must be a string (got a mapping)",
    ],
    // `key:value` with no space is one text where a mapping is meant; the text is not echoed.
    [
      "auth: password:S3cret",
      { auth: "password:S3cret" },
      'webhook.auth must be a mapping (got a string): a key needs a space after its ":", or it and its value are one text (write key: value)',
    ],
    // A constant is sent as written: quoting would send "{name}", so no hint is given.
    [
      "c: { value: {name} }",
      { fields: { c: { value: { name: null } } } },
      "webhook.fields.c.value must be a string, a number, true/false or null (got a mapping)",
    ],
  ])("says how to write %s", (_, webhook, expected) => {
    expect(messages(webhook)).toEqual([expected]);
  });
});

describe("describeSchemaErrors on text where a mapping is meant", () => {
  it.each<[string, Record<string, unknown>, string]>([
    [
      "signing:secret:x",
      { webhook: { url: "http://h.example/", signing: "secret:x" } },
      'webhook.signing must be a mapping (got a string): a key needs a space after its ":"',
    ],
    [
      "webhook: https://h.example/",
      { webhook: "https://h.example/" },
      "webhook must be a mapping (got a string)",
    ],
    [
      "scope: account:acme",
      { scope: "account:acme" },
      "scope must be a mapping (got a string): a key needs a space",
    ],
    ["scope: acme", { scope: "acme" }, "scope must be a mapping (got a string)"],
  ])("of %s says %j", (_, top, message) => {
    const said = issues({}, top).map((issue) => issue.message);
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(new RegExp(`^${message.replace(/[()]/g, "\\$&")}(?!:)`));
  });
});

describe("describeSchemaErrors on a value outside its list", () => {
  it.each<[string, Record<string, unknown>, string]>([
    [
      "a near miss, with what was meant",
      { format: "jsonn" },
      `webhook.format must be json, query or form (got "jsonn") (did you mean "json"?)`,
    ],
    [
      "a near miss of four letters, with what was meant",
      { format: "jsno" },
      `webhook.format must be json, query or form (got "jsno") (did you mean "json"?)`,
    ],
    [
      "a short word, without a guess",
      { method: "PUT" },
      `webhook.method must be POST or GET (got "PUT")`,
    ],
    [
      "a word far from all, without a guess",
      { format: "xml-body" },
      `webhook.format must be json, query or form (got "xml-body")`,
    ],
  ])("names the values allowed: %s", (_what, webhook, message) => {
    expect(messages(webhook)).toContain(message);
  });
});

/** The issues of a document with `top` over the base one and a webhook with `webhook`. */
function issues(webhook: Record<string, unknown>, top: Record<string, unknown> = {}) {
  const data = { ...makeRawIntegration(webhook), ...top };
  return describeSchemaErrors(schemaErrors(data), data);
}

describe("describeSchemaErrors on a value YAML reads as another type", () => {
  const DURATION = "webhook.timeout must be a duration like 250ms, 10s, 5m or 1h";
  it.each<[string, Record<string, unknown>, Record<string, unknown>, string]>([
    ["timeout: 30", { timeout: 30 }, {}, `${DURATION} (got a whole number): write 30s for seconds`],
    ["timeout: 0", { timeout: 0 }, {}, `${DURATION} (got a whole number)`],
    ["timeout: 1.5", { timeout: 1.5 }, {}, `${DURATION} (got a number)`],
    [
      "enabled: y",
      {},
      { enabled: "y" },
      'enabled must be true/false (got "y": YAML 1.2 reads y as text, not as true): write true',
    ],
    [
      'enabled: "false"',
      {},
      { enabled: "false" },
      'enabled must be true/false (got "false": in quotes, it is text): write false',
    ],
    [
      'maxInFlight: "16"',
      { maxInFlight: "16" },
      {},
      'webhook.maxInFlight must be a whole number (got "16": in quotes, it is text): write 16',
    ],
    [
      'retry: {maxAttempts: " 3 "}',
      { retry: { maxAttempts: " 3 " } },
      {},
      'webhook.retry.maxAttempts must be a whole number (got "3": in quotes, it is text): write 3',
    ],
    // Only digits are echoed: other text where a count is wanted is named by its type.
    [
      'maxInFlight: "16x"',
      { maxInFlight: "16x" },
      {},
      "webhook.maxInFlight must be a whole number (got a string)",
    ],
    [
      'maxInFlight: "-1"',
      { maxInFlight: "-1" },
      {},
      "webhook.maxInFlight must be a whole number (got a string)",
    ],
    [
      'maxInFlight: "1234567890123456"',
      { maxInFlight: "1234567890123456" },
      {},
      "webhook.maxInFlight must be a whole number (got a string)",
    ],
    [
      'pathArguments: "{serviceUuid}"',
      { pathArguments: "{serviceUuid}" },
      {},
      'webhook.pathArguments must be a list (got a string): write ["{serviceUuid}"], or a "- " line for each segment',
    ],
    [
      "pathArguments: a long text",
      { pathArguments: "x".repeat(81) },
      {},
      "webhook.pathArguments must be a list (got a string)",
    ],
    [
      "pathArguments: text over lines",
      { pathArguments: "a\nb" },
      {},
      "webhook.pathArguments must be a list (got a string)",
    ],
    [
      "pathArguments: 7",
      { pathArguments: 7 },
      {},
      "webhook.pathArguments must be a list (got a whole number)",
    ],
    [
      "auth type ' Bearer '",
      { auth: { type: " Bearer " } },
      {},
      'webhook.auth.type must be none, basic or token (got " Bearer ") (did you mean "token"?)',
    ],
    [
      "enabled: Off",
      {},
      { enabled: "Off" },
      'enabled must be true/false (got "Off": YAML 1.2 reads Off as text, not as false): write false',
    ],
    // Only a whole word YAML 1.1 read as true or false is echoed: any other text may be a secret.
    [
      "enabled: yes please",
      {},
      { enabled: "yes please" },
      "enabled must be true/false (got a string)",
    ],
    ["enabled: not off", {}, { enabled: "not off" }, "enabled must be true/false (got a string)"],
    [
      "enabled: true story",
      {},
      { enabled: "true story" },
      "enabled must be true/false (got a string)",
    ],
    [
      "auth type 'Bearer Token'",
      { auth: { type: "Bearer Token" } },
      {},
      'webhook.auth.type must be none, basic or token (got "Bearer Token") (did you mean "token"?)',
    ],
    // "bearer" is another name of token, which a method cannot be.
    [
      "method: bearer",
      { method: "bearer" },
      {},
      'webhook.method must be POST or GET (got "bearer")',
    ],
  ])("says of %s what to write", (_, webhook, top, message) => {
    expect(issues(webhook, top).map((i) => i.message)).toEqual([message]);
  });

  it("points a repeated event type at its later use", () => {
    const trigger = {
      serviceType: "mycloudpbx",
      events: ["user.created", "user.deleted", "user.created"],
    };
    expect(issues({}, { trigger })).toEqual([
      {
        path: ["trigger", "events", 2],
        onKey: false,
        message: 'trigger.events lists "user.created" more than once',
      },
    ]);
  });
});

describe("describeSchemaErrors on list items run together", () => {
  const EVENTS = "trigger.events[0] must be user.created, user.deleted or user.modified";
  const trigger = (events: string[]) => ({ trigger: { serviceType: "mycloudpbx", events } });
  it.each<[string, Record<string, unknown>, Record<string, unknown>, string]>([
    [
      "two events without a comma",
      {},
      trigger(["user.created user.deleted"]),
      `${EVENTS} (got "user.created user.deleted"): 2 items read as one; write [user.created, user.deleted], or a "- " line for each`,
    ],
    [
      "three, folded from lines",
      {},
      trigger(["user.created  user.modified user.deleted"]),
      `${EVENTS} (got "user.created  user.modified user.deleted"): 3 items read as one; write [user.created, user.modified, user.deleted], or a "- " line for each`,
    ],
    // Only values each allowed on its own: anything else is one wrong item.
    [
      "an event beside a word",
      {},
      trigger(["user.created user.updated"]),
      `${EVENTS} (got "user.created user.updated")`,
    ],
    [
      "a number in the list",
      {},
      trigger([1 as unknown as string]),
      `${EVENTS} (got a whole number)`,
    ],
    [
      "the part after the dot",
      {},
      trigger(["created"]),
      `${EVENTS} (got "created") (did you mean "user.created"?)`,
    ],
    [
      "one event written as text",
      {},
      { trigger: { serviceType: "mycloudpbx", events: "user.created" } },
      "trigger.events must be a list (got a string): write [user.created]",
    ],
    [
      "two events written as text",
      {},
      { trigger: { serviceType: "mycloudpbx", events: "user.created, user.deleted" } },
      "trigger.events must be a list (got a string): write [user.created, user.deleted]",
    ],
    // Text that is not all event types is not repeated.
    [
      "other text where the list goes",
      {},
      { trigger: { serviceType: "mycloudpbx", events: "user.created, hello" } },
      "trigger.events must be a list (got a string)",
    ],
    [
      "a mapping where the list goes",
      {},
      { trigger: { serviceType: "mycloudpbx", events: { created: true } } },
      "trigger.events must be a list (got a mapping)",
    ],
    // A value that is no list item cannot be two.
    [
      "method: POST GET",
      { method: "POST GET" },
      {},
      'webhook.method must be POST or GET (got "POST GET")',
    ],
  ])("says of %s what to write", (_, webhook, top, message) => {
    expect(issues(webhook, top).map((i) => i.message)).toEqual([message]);
  });
});

describe("describeSchemaErrors on header names and URLs", () => {
  const TOKEN = "use letters, digits and !#$%&'*+-.^_`|~";
  const header = (name: string, auth?: Record<string, unknown>) => ({
    headers: { [name]: "v" },
    ...(auth ? { auth } : {}),
  });
  it.each<[string, Record<string, unknown>, string[], boolean, string]>([
    [
      "a header name with a space",
      header("X Bad"),
      ["webhook", "headers", "X Bad"],
      true,
      `header name "X Bad" is not an HTTP token: ${TOKEN}`,
    ],
    [
      "an empty header name",
      header(""),
      ["webhook", "headers", ""],
      true,
      `empty or null (~) key in webhook.headers: a header's name must be text; ${TOKEN}`,
    ],
    [
      "Host",
      header("Host"),
      ["webhook", "headers", "Host"],
      true,
      "header Host is set by hookswitch and cannot be set in webhook.headers; remove it",
    ],
    [
      "Authorization beside a token",
      header("Authorization", { type: "token", token: "${env:T}" }),
      ["webhook", "headers", "Authorization"],
      true,
      "header Authorization is set by webhook.auth (type token); remove it from webhook.headers",
    ],
    [
      "authorization, in any case, beside basic auth",
      header("authorization", { type: "basic", username: "u", password: "${env:P}" }),
      ["webhook", "headers", "authorization"],
      true,
      "header authorization is set by webhook.auth (type basic); remove it from webhook.headers",
    ],
    [
      "a URL with user-info",
      { url: "https://u:p@x.example/" },
      ["webhook", "url"],
      false,
      "webhook.url must not carry user:password@; use webhook.auth type basic",
    ],
    [
      "a URL with a placeholder in its host",
      { url: "https://{account}.example/" },
      ["webhook", "url"],
      false,
      "webhook.url is sent as written, so {account} would not be filled in: put it in webhook.pathArguments (or, for a query parameter, in webhook.fields with format query)",
    ],
    [
      "a URL with a port past 65535",
      { url: "https://x.example:99999/" },
      ["webhook", "url"],
      false,
      "webhook.url is not a valid absolute URL",
    ],
  ])("says of %s what to write, where", (_what, webhook, path, onKey, message) => {
    expect(issues(webhook)).toEqual([{ path, onKey, message }]);
  });

  it("points an empty key among the fields at that key", () => {
    expect(issues({ fields: { "": "name" } })).toEqual([
      {
        path: ["webhook", "fields", ""],
        onKey: true,
        message: "empty or null (~) key in webhook.fields: a key must be text",
      },
    ]);
  });

  it("takes an Authorization header where no auth sets one", () => {
    expect(issues(header("Authorization"))).toEqual([]);
  });
});

describe("describeSchemaErrors on a signing secret of another form", () => {
  const FORMS = "webhook.signing.secret must be a string or a list of strings";
  it.each<[string, unknown, string]>([
    ["an empty list", [], "webhook.signing.secret must have at least 1 item"],
    ["a mapping", { a: "b" }, `${FORMS} (got a mapping)`],
    ["null", null, `${FORMS} (got null)`],
    ["true", true, `${FORMS} (got true/false)`],
  ])("says what it must be, for %s", (_what, secret, message) => {
    expect(messages({ signing: { secret } })).toEqual([message]);
  });
});
