/**
 * A complete, valid Integration for unit tests, built directly (no loader), with overrides.
 */
import type { RawIntegration, RawWebhook } from "../../src/config/parse/raw.js";
import type { Integration, Webhook } from "../../src/config/types.js";
import type { Rendering, WebhookRequest } from "../../src/delivery/types.js";
import type { PbxEvent } from "../../src/events/types.js";

export const SERVICE_UUID = "3f0c6f8e-6a0b-4a39-9b1e-0d6f1f3f4a11";

export type IntegrationOverrides = Partial<Omit<Integration, "webhook">> & {
  webhook?: Partial<Webhook>;
};

/** An integration document as written (after the schema), with webhook fields given. */
export function makeRawIntegration(webhook: Partial<RawWebhook>, name = "r"): RawIntegration {
  return {
    apiVersion: "hookswitch/v1",
    name,
    scope: { account: "acme" },
    trigger: { serviceType: "mycloudpbx", events: ["user.created"] },
    webhook: { url: "https://example.com/x", ...webhook },
  };
}

export function makeIntegration(overrides: IntegrationOverrides = {}): Integration {
  const { webhook, ...rest } = overrides;
  return {
    name: "crm",
    description: undefined,
    enabled: true,
    type: "webhook",
    scope: { account: "acme" },
    trigger: { serviceType: "mycloudpbx", events: ["user.created"] },
    source: { file: "integrations.d/crm.yaml", line: 1, column: 1 },
    ...rest,
    webhook: {
      url: "https://crm.example.com/api/callbacks",
      method: "POST",
      format: "json",
      pathArguments: [],
      auth: { type: "none" },
      headers: {},
      fields: undefined,
      signingSecrets: [],
      timeoutMs: 10_000,
      retry: { maxAttempts: 12, initialDelayMs: 1_000, maxDelayMs: 3_600_000 },
      maxInFlight: 16,
      tlsCa: undefined,
      ...webhook,
    },
  };
}

/** The example event of docs/publishers.md, with overrides of `data.user` and the top level. */
export function makeEvent(
  overrides: Partial<Omit<PbxEvent, "data">> & {
    data?: Partial<PbxEvent["data"]>;
    user?: PbxEvent["data"]["user"];
  } = {},
): PbxEvent {
  const { data, user, ...rest } = overrides;
  return {
    specversion: "1.0",
    id: "9b2f4c1e-5a77-4e0f-8d1b-2f8f2a0c6d10",
    source: `/accounts/acme/services/${SERVICE_UUID}`,
    type: "user.created",
    time: "2026-11-28T17:00:00.000Z",
    datacontenttype: "application/json",
    ...rest,
    data: {
      account: "acme",
      service: {
        type: "mycloudpbx",
        uuid: SERVICE_UUID,
        name: "pbx-01",
        friendlyName: "Head office",
      },
      user: user ?? {
        extension: "201",
        name: "Alice Example",
        outboundNumber: "+61290000000",
        hasVoicemail: true,
        enabledCalls: ["Local", "National", "Mobile"],
      },
      previous: { name: "Alice E." },
      ...data,
    },
  };
}

/** The request of a rendering that has one: the test's event fills every path argument. */
export function requestOf(rendering: Rendering): WebhookRequest {
  if ("unsendable" in rendering) throw new Error(`no request: ${rendering.unsendable}`);
  return rendering;
}
