/**
 * toIntegration: a checked document becomes an Integration, each value given read as given
 * (the defaults are held in test/config/load.test.ts), and what output shows where a secret
 * reference fed a value.
 */
import { describe, expect, it } from "vitest";
import { toIntegration, type NormalizeInput } from "../../../src/config/parse/normalize.js";
import type { RawIntegration, RawWebhook } from "../../../src/config/parse/raw.js";
import { OPAQUE_URL, SECRET_MARK, type LiteralText } from "../../../src/config/references.js";
import { SERVICE_UUID, makeRawIntegration } from "../../support/integration.js";

const SOURCE = { file: "integrations.d/r.yaml", line: 2, column: 7 };

function integrationOf(webhook: Partial<RawWebhook>, fields: Partial<RawIntegration> = {}) {
  const value = { ...makeRawIntegration(webhook), ...fields };
  return toIntegration({ value, source: SOURCE, literals: [], tlsCa: undefined });
}

describe("toIntegration", () => {
  it.each<[string, Partial<RawWebhook>, Record<string, unknown>]>([
    ["a timeout", { timeout: "30s" }, { timeoutMs: 30_000 }],
    [
      "a retry policy",
      { retry: { maxAttempts: 3, initialDelay: "2s", maxDelay: "1m" } },
      { retry: { maxAttempts: 3, initialDelayMs: 2_000, maxDelayMs: 60_000 } },
    ],
    ["a request limit", { maxInFlight: 4 }, { maxInFlight: 4 }],
    [
      "two signing secrets",
      { signing: { secret: ["whsec_new", "whsec_old"] } },
      { signingSecrets: ["whsec_new", "whsec_old"] },
    ],
    ["one signing secret", { signing: { secret: "whsec_one" } }, { signingSecrets: ["whsec_one"] }],
    [
      "basic auth",
      { auth: { type: "basic", username: "svc", password: "pw" } },
      { auth: { type: "basic", username: "svc", password: "pw" } },
    ],
    [
      "token auth",
      { auth: { type: "token", token: "t0k" } },
      { auth: { type: "token", token: "t0k" } },
    ],
    ["a form body", { method: "POST", format: "form" }, { method: "POST", format: "form" }],
    [
      "fields of each kind",
      { fields: { who: "userUuid", line: { template: "{name}" }, fixed: { value: 7 } } },
      {
        fields: {
          who: { kind: "field", field: "userUuid" },
          line: { kind: "template", template: "{name}" },
          fixed: { kind: "value", value: 7 },
        },
      },
    ],
  ])("reads %s as given", (_, webhook, expected) => {
    expect(integrationOf(webhook).webhook).toMatchObject(expected);
  });

  it.each<[string, RawIntegration["scope"], Record<string, string>]>([
    ["an account", { account: "acme" }, { account: "acme" }],
    ["a service", { service: SERVICE_UUID }, { service: SERVICE_UUID }],
  ])("scopes to %s", (_, scope, expected) => {
    expect(integrationOf({}, { scope }).scope).toEqual(expected);
  });

  it.each<[string, LiteralText, string | undefined]>([
    [
      "a path argument",
      { path: ["webhook", "pathArguments", 0], ranges: [[0, 3]] },
      '["pathArguments",0]',
    ],
    [
      "a header",
      { path: ["webhook", "headers", "X-Key"], ranges: [[0, 3]] },
      '["headers","X-Key"]',
    ],
    [
      "a field's template",
      { path: ["webhook", "fields", "t", "template"], ranges: [[0, 3]] },
      '["fields","t"]',
    ],
    [
      "inside a path argument's value",
      { path: ["webhook", "pathArguments", 0, "x"], ranges: [[0, 3]] },
      undefined,
    ],
    ["the URL", { path: ["webhook", "url"], ranges: [[0, 3]] }, undefined],
    [
      "a field's fixed value",
      { path: ["webhook", "fields", "t", "value"], ranges: [[0, 3]] },
      undefined,
    ],
    ["outside the webhook", { path: ["description"], ranges: [[0, 3]] }, undefined],
  ])("keeps where a secret went in %s under %j", (_, literal, key) => {
    const value = makeRawIntegration({});
    const integration = toIntegration({
      value,
      source: SOURCE,
      literals: [literal],
      tlsCa: undefined,
    });
    expect(integration.webhook.literals).toEqual(
      key === undefined ? undefined : { [key]: [[0, 3]] },
    );
  });
});

describe("what toIntegration shows where a reference fed a value", () => {
  const MARK = SECRET_MARK;
  /** The document as written and as marked: `change` makes new objects only where a mark went. */
  function withReferences(
    written: RawIntegration,
    change: (marked: RawIntegration) => RawIntegration,
  ): NormalizeInput {
    const marked = change(written);
    return {
      value: written,
      source: SOURCE,
      literals: [],
      tlsCa: undefined,
      references: { written, marked, markedLiterals: [] },
    };
  }
  const written = makeRawIntegration({
    url: "https://crm.example.com/x",
    headers: { "X-Key": "${env:KEY}" },
    fields: { who: "userUuid" },
  });

  it("shows nothing of its own when no reference fed a shown value", () => {
    expect(toIntegration(withReferences(written, (m) => m)).shown).toBeUndefined();
  });

  it.each<[string, (m: RawIntegration) => RawIntegration, Record<string, unknown>]>([
    [
      "the scope",
      (m) => ({ ...m, scope: { account: MARK } }),
      { scope: { account: "acme" }, secretHost: false },
    ],
    [
      "a header",
      (m) => ({ ...m, webhook: { ...m.webhook, headers: { "X-Key": MARK } } }),
      { webhook: expect.objectContaining({ headers: { "X-Key": MARK } }), secretHost: false },
    ],
    [
      "a field",
      (m) => ({ ...m, webhook: { ...m.webhook, fields: { who: { value: MARK } } } }),
      {
        webhook: expect.objectContaining({ fields: { who: { kind: "value", value: MARK } } }),
        secretHost: false,
      },
    ],
    [
      "the URL's host",
      (m) => ({ ...m, webhook: { ...m.webhook, url: `https://${MARK}.example.com/x` } }),
      {
        webhook: expect.objectContaining({ url: `https://${MARK}.example.com/x` }),
        secretHost: true,
      },
    ],
    [
      "the whole URL",
      (m) => ({ ...m, webhook: { ...m.webhook, url: MARK } }),
      { webhook: expect.objectContaining({ url: OPAQUE_URL }), secretHost: true },
    ],
    [
      "the URL's path",
      (m) => ({ ...m, webhook: { ...m.webhook, url: `https://crm.example.com/${MARK}` } }),
      { secretHost: false },
    ],
  ])("shows %s as marked", (_, change, shown) => {
    expect(toIntegration(withReferences(written, change)).shown).toMatchObject(shown);
  });
});

describe("the secrets toIntegration keeps as sent", () => {
  const value = makeRawIntegration({});

  it("keeps them without a marked twin, as where only `auth` had references", () => {
    const integration = toIntegration({
      value,
      source: SOURCE,
      literals: [],
      tlsCa: undefined,
      sentSecrets: ["live_USERKEY"],
    });
    expect(integration.shown).toBeUndefined();
    expect(integration.sentSecrets).toEqual(["live_USERKEY"]);
  });

  it("keeps none when no reference was sent", () => {
    const input = { value, source: SOURCE, literals: [], tlsCa: undefined, sentSecrets: [] };
    expect(toIntegration(input)).not.toHaveProperty("sentSecrets");
  });
});
