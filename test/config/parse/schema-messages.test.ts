/**
 * The words an administrator reads for each kind of schema mistake, through the real schema
 * and `describeSchemaErrors`: one row per message `schema-messages.ts` gives.
 */
import { describe, expect, it } from "vitest";
import { describeSchemaErrors } from "../../../src/config/parse/schema-errors.js";
import { schemaErrors } from "../../../src/config/parse/schema.js";
import { makeRawIntegration } from "../../support/integration.js";

/** The messages for a valid document with `top` and `webhook` laid over it. */
function messages(top: Record<string, unknown>, webhook: Record<string, unknown> = {}): string[] {
  const data = { ...makeRawIntegration(webhook), ...top };
  return describeSchemaErrors(schemaErrors(data), data).map((issue) => issue.message);
}

const FIELDS =
  "fields are: extensionNumber, name, outboundPhoneNumber, hasVoicemail, enabledCalls, " +
  "dateTime, serviceUuid, serviceName, serviceFriendlyName, serviceType, account, event, " +
  "eventId, eventTime";

describe("the message for a schema mistake", () => {
  it.each<[string, Record<string, unknown>, Record<string, unknown>, string | string[]]>([
    [
      "a name that is not a DNS label",
      { name: "CRM_Sync" },
      {},
      'name must be a DNS label: lowercase letters, digits and "-", at most 63 characters, ' +
        'starting and ending with a letter or digit (got "CRM_Sync")',
    ],
    [
      "a name one character too long",
      { name: "a".repeat(64) },
      {},
      // The value is cut short in the message.
      'name must be a DNS label: lowercase letters, digits and "-", at most 63 characters, ' +
        `starting and ending with a letter or digit (got "${"a".repeat(56)}…")`,
    ],
    [
      "a service that is no UUID",
      { scope: { service: "svc-1" } },
      {},
      'scope.service must be a service UUID like 3f0c6f8e-6a0b-4a39-9b1e-0d6f1f3f4a11 (got "svc-1")',
    ],
    [
      "a service written as a reference",
      { scope: { service: "${env:SERVICE}" } },
      {},
      "scope.service must be a service UUID written out, not a ${…} reference: write the UUID itself (a service's UUID is no secret)",
    ],
    [
      "a scope with both account and service",
      { scope: { account: "acme", service: "3f0c6f8e-6a0b-4a39-9b1e-0d6f1f3f4a11" } },
      {},
      "scope must have only one of account or service, not both",
    ],
    [
      "a scope with neither",
      { scope: {} },
      {},
      "scope needs account (an account integration) or service (a service integration)",
    ],
    [
      "a key run on into its value in a flow mapping",
      { "description:hello": null },
      {},
      'unknown key "description:…": a key\'s colon needs a space after it, or the value is ' +
        "read as part of the key: write description: and a space before the value",
    ],
    [
      "a key that only looks run on, as it names no key",
      { "colour:blue": null },
      {},
      'unknown key "colour:blue"',
    ],
    [
      "a timeout that is no duration",
      {},
      { timeout: "ten seconds" },
      'webhook.timeout must be a duration like 250ms, 10s, 5m or 1h (got "ten seconds")',
    ],
    [
      "a URL with no host",
      {},
      { url: "https:///callbacks" },
      "webhook.url has no host: write it as http(s)://host/path",
    ],
    [
      "a URL with a space",
      {},
      { url: "https://crm.example.com/a b" },
      "webhook.url must not hold spaces or other white space: write a space in a path or query as %20",
    ],
    [
      "a URL that is not absolute",
      {},
      { url: "crm.example.com/callbacks" },
      "webhook.url must be an absolute URL starting with http:// or https:// (or a single ${env:…}/${file:…} reference)",
    ],
    [
      "a URL that is neither absolute nor a reference, with a space",
      {},
      { url: "callbacks/new user" },
      "webhook.url must be an absolute URL starting with http:// or https:// (or a single ${env:…}/${file:…} reference)",
    ],
    [
      "a field mapping with both forms",
      {},
      { fields: { label: { value: "a", template: "b" } } },
      'webhook.fields.label must be a field name, {value: …} or {template: "…"} (got a mapping): ' +
        "give value or template, not both",
    ],
    [
      "a field mapping with both forms, one of the wrong type",
      {},
      { fields: { label: { value: {}, template: "b" } } },
      'webhook.fields.label must be a field name, {value: …} or {template: "…"} (got a mapping): ' +
        "give value or template, not both",
    ],
    [
      "a field mapping with both forms, the template of the wrong type",
      {},
      { fields: { label: { value: "a", template: 5 } } },
      'webhook.fields.label must be a field name, {value: …} or {template: "…"} (got a mapping): ' +
        "give value or template, not both",
    ],
    [
      "a field mapping with a mistyped key",
      {},
      { fields: { label: { templte: "b" } } },
      'webhook.fields.label must be a field name, {value: …} or {template: "…"} (got a mapping): ' +
        'the mapping takes only value or template, not "templte" (did you mean template?)',
    ],
    [
      "an unknown placeholder in a template",
      {},
      { fields: { label: { template: "{nmae} ({extensionNumber})" } } },
      `unknown placeholder {nmae} in webhook.fields.label.template (did you mean {name}?); ${FIELDS}`,
    ],
    [
      "several unknown placeholders in a header",
      {},
      { headers: { "X-User": "{nmae} {foo}" } },
      `unknown placeholder {nmae} in webhook.headers.X-User (did you mean {name}?); ${FIELDS} ` +
        "(also unknown: {foo})",
    ],
    [
      "braces in a constant value, which is sent as written",
      {},
      { fields: { label: { value: "{nmae}" } } },
      [],
    ],
    [
      "a user name with a colon",
      {},
      { auth: { type: "basic", username: "a:b", password: "p" } },
      'webhook.auth.username must not contain ":": Basic authentication splits the user name from the password at the first ":"',
    ],
    // The branch of `auth` its type names, not the one with the fewest errors.
    [
      "token auth without its token, with a user name",
      {},
      { auth: { type: "token", username: "u" } },
      [
        'missing required key "token" in webhook.auth',
        'key "username" does not go with webhook.auth.type token',
      ],
    ],
    [
      "basic auth with a token",
      {},
      { auth: { type: "basic", username: "u", token: "t" } },
      'key "token" does not go with webhook.auth.type basic',
    ],
    [
      "token auth without its token",
      {},
      { auth: { type: "token" } },
      'missing required key "token" in webhook.auth',
    ],
    [
      "a form other than query for GET",
      {},
      { method: "GET", format: "json" },
      'webhook.format must be query when method is GET (got "json")',
    ],
    [
      "a number past its maximum",
      {},
      { retry: { maxAttempts: 1000 } },
      "webhook.retry.maxAttempts must be at most 100 (got 1000)",
    ],
    [
      "a number under its minimum",
      {},
      { retry: { maxAttempts: 0 } },
      "webhook.retry.maxAttempts must be at least 1 (got 0)",
    ],
  ])("for %s", (_what, top, webhook, expected) => {
    const said = messages(top, webhook);
    expect(said).toEqual(Array.isArray(expected) ? expected : [expected]);
  });
});
