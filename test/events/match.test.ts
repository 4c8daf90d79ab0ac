import { describe, expect, it } from "vitest";
import type { Integration } from "../../src/config/types.js";
import {
  buildMatchIndex,
  explainMismatch,
  matchEvent,
  serviceKey,
} from "../../src/events/match.js";
import type { PbxEvent } from "../../src/events/types.js";
import { makeEvent, makeIntegration, SERVICE_UUID } from "../support/integration.js";

const OTHER_UUID = "11111111-2222-4333-8444-555555555555";
const event = makeEvent();
const names = (list: Integration[]) => list.map((i) => i.name);

describe("matchEvent", () => {
  it.each<[string, boolean, Integration]>([
    ["an account integration of the event's account", true, makeIntegration()],
    [
      "a service integration of the event's service",
      true,
      makeIntegration({ scope: { service: SERVICE_UUID } }),
    ],
    [
      "a service integration written in upper case",
      true,
      makeIntegration({ scope: { service: SERVICE_UUID.toUpperCase() } }),
    ],
    ["a disabled integration", false, makeIntegration({ enabled: false })],
    ["another account", false, makeIntegration({ scope: { account: "globex" } })],
    ["another service", false, makeIntegration({ scope: { service: OTHER_UUID } })],
    [
      "another service type",
      false,
      makeIntegration({ trigger: { serviceType: "othercloud", events: ["user.created"] } }),
    ],
    [
      "other event types",
      false,
      makeIntegration({
        trigger: { serviceType: "mycloudpbx", events: ["user.deleted", "user.modified"] },
      }),
    ],
    [
      "one of several event types",
      true,
      makeIntegration({
        trigger: { serviceType: "mycloudpbx", events: ["user.deleted", "user.created"] },
      }),
    ],
  ])("%s: matches is %s", (_what, matches, integration) => {
    const index = buildMatchIndex([integration]);
    expect(matchEvent(index, event)).toEqual(matches ? [integration] : []);
    expect(explainMismatch(integration, event) === undefined).toBe(matches);
  });

  it.each([
    ["lower", "upper", SERVICE_UUID, SERVICE_UUID.toUpperCase()],
    ["upper", "lower", SERVICE_UUID.toUpperCase(), SERVICE_UUID],
    ["upper", "upper", SERVICE_UUID.toUpperCase(), SERVICE_UUID.toUpperCase()],
    ["lower", "URN", SERVICE_UUID, `urn:uuid:${SERVICE_UUID}`],
    ["upper", "URN", SERVICE_UUID.toUpperCase(), `URN:UUID:${SERVICE_UUID.toUpperCase()}`],
  ])("matches a service written in %s case to an event's in %s form", (_i, _e, scoped, uuid) => {
    const integration = makeIntegration({ scope: { service: scoped } });
    const upper = makeEvent({ data: { service: { type: "mycloudpbx", uuid } } });
    expect(matchEvent(buildMatchIndex([integration]), upper)).toEqual([integration]);
    expect(explainMismatch(integration, upper)).toBeUndefined();
  });

  it("gives a list of its own each time: changing one changes no later match", () => {
    const integration = makeIntegration();
    const index = buildMatchIndex([integration]);
    matchEvent(index, event).pop();
    expect(matchEvent(index, event)).toEqual([integration]);
  });

  it("gives every matching integration, account-scoped first, each once", () => {
    const byService = makeIntegration({ name: "by-service", scope: { service: SERVICE_UUID } });
    const byAccount = makeIntegration({ name: "by-account" });
    const both = makeIntegration({
      name: "all-events",
      trigger: { serviceType: "mycloudpbx", events: ["user.created", "user.modified"] },
    });
    const index = buildMatchIndex([byService, byAccount, both]);
    expect(names(matchEvent(index, event))).toEqual(["by-account", "all-events", "by-service"]);
    expect(names(matchEvent(index, makeEvent({ type: "user.modified" })))).toEqual(["all-events"]);
    expect(matchEvent(index, makeEvent({ type: "user.deleted" }))).toEqual([]);
  });

  it("answers correctly among 10,000 integrations, reading none of them to match an event", () => {
    let reads = 0;
    const integrations = Array.from({ length: 10_000 }, (_, i) =>
      counted(
        makeIntegration({
          name: `i-${i}`,
          scope: i % 2 === 0 ? { account: `acct-${i}` } : { service: uuidOf(i) },
          enabled: i % 1000 !== 7,
        }),
        () => (reads += 1),
      ),
    );
    const index = buildMatchIndex(integrations);
    const forAccount = (account: string) => makeEvent({ data: { account } });
    const forService = (uuid: string) =>
      makeEvent({ data: { account: "nobody", service: { type: "mycloudpbx", uuid } } });
    expect(names(matchEvent(index, forAccount("acct-4242")))).toEqual(["i-4242"]);
    expect(names(matchEvent(index, forService(uuidOf(9999))))).toEqual(["i-9999"]);
    expect(matchEvent(index, forService(uuidOf(1007)))).toEqual([]); // disabled
    expect(matchEvent(index, forAccount("acct-10000"))).toEqual([]);

    // A scan would read every integration's trigger and scope for each event.
    reads = 0;
    let matched = 0;
    for (let i = 0; i < 1_000; i++) matched += matchEvent(index, forAccount(`acct-${i}`)).length;
    expect(matched).toBe(500); // accounts are the even ones' scope
    expect(reads).toBe(0);
  });
});

describe("serviceKey", () => {
  it.each([
    [SERVICE_UUID, SERVICE_UUID],
    [SERVICE_UUID.toUpperCase(), SERVICE_UUID],
    [`urn:uuid:${SERVICE_UUID}`, SERVICE_UUID],
    [`Urn:Uuid:${SERVICE_UUID}`, SERVICE_UUID],
    // Only a prefix: the schema allows nothing else around a UUID.
    [`x-urn:uuid:${SERVICE_UUID}`, `x-urn:uuid:${SERVICE_UUID}`],
  ])("reads %j as %j", (uuid, key) => {
    expect(serviceKey(uuid)).toBe(key);
  });
});

describe("explainMismatch", () => {
  it.each<[string, Integration, RegExp]>([
    ["disabled", makeIntegration({ enabled: false }), /crm is disabled/],
    [
      "another service type",
      makeIntegration({ trigger: { serviceType: "othercloud", events: ["user.created"] } }),
      /service type othercloud, the event is from mycloudpbx/,
    ],
    [
      "other event types",
      makeIntegration({ trigger: { serviceType: "mycloudpbx", events: ["user.deleted"] } }),
      /triggered by user.deleted, the event is user.created/,
    ],
    [
      "triggered by other event types",
      makeIntegration({
        trigger: { serviceType: "mycloudpbx", events: ["user.deleted", "user.modified"] },
      }),
      /triggered by user\.deleted, user\.modified, the event is user\.created$/,
    ],
    [
      "another account",
      makeIntegration({ scope: { account: "globex" } }),
      /account globex, the event is for account acme/,
    ],
    [
      "another service",
      makeIntegration({ scope: { service: OTHER_UUID } }),
      new RegExp(`service ${OTHER_UUID}, the event is for service ${SERVICE_UUID}`),
    ],
  ])("says the integration is %s", (_what, integration, reason) => {
    expect(explainMismatch(integration, event)).toMatch(reason);
  });

  it("names an account that came from a secret reference as written, not its value", () => {
    const base = makeIntegration({ scope: { account: "globex" } });
    const integration: Integration = {
      ...base,
      shown: {
        description: undefined,
        scope: { account: "${env:ACCOUNT}" },
        webhook: base.webhook,
        secretHost: false,
      },
    };
    const reason = explainMismatch(integration, event);
    expect(reason).toContain("scoped to account ${env:ACCOUNT}, the event is for account acme");
    expect(reason).not.toContain("globex");
  });
});

describe("explainMismatch with an event's long values", () => {
  it.each<[string, Integration, PbxEvent, string]>([
    [
      "account",
      makeIntegration({ scope: { account: "globex" } }),
      makeEvent({ data: { account: "A".repeat(100_000) } }),
      `the event is for account ${"A".repeat(100)}…`,
    ],
    [
      "service type",
      makeIntegration({ trigger: { serviceType: "othercloud", events: ["user.created"] } }),
      makeEvent({ data: { service: { type: "T".repeat(100_000), uuid: SERVICE_UUID } } }),
      `the event is from ${"T".repeat(100)}…`,
    ],
  ])("quotes the first 100 characters of an event's %s", (_what, integration, long, end) => {
    const reason = explainMismatch(integration, long) ?? "";
    expect(reason.endsWith(end)).toBe(true);
  });
});

function uuidOf(i: number): string {
  return `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
}

/** The integration, counting each property read of it once the index is built. */
function counted(integration: Integration, onRead: () => void): Integration {
  return new Proxy(integration, {
    get(target, key, receiver) {
      onRead();
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
}
