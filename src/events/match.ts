/**
 * Which integrations an event goes to: the enabled ones whose trigger and scope match its
 * payload. The index is built once per configuration generation; a lookup reads a few maps,
 * whatever the number of integrations.
 */
import { scopeText, shownScope } from "../config/shown.js";
import { startOf } from "../config/text.js";
import type { Integration } from "../config/types.js";
import type { PbxEvent } from "./types.js";

interface ScopeMaps {
  byAccount: Map<string, Integration[]>;
  byService: Map<string, Integration[]>;
}

/** event type -> service type -> scope value -> integrations, in configuration order. */
export interface MatchIndex {
  readonly byType: ReadonlyMap<string, ReadonlyMap<string, ScopeMaps>>;
}

const NONE: readonly Integration[] = Object.freeze([]);

export function buildMatchIndex(integrations: readonly Integration[]): MatchIndex {
  const byType = new Map<string, Map<string, ScopeMaps>>();
  for (const integration of integrations) {
    if (!integration.enabled) continue;
    for (const type of new Set(integration.trigger.events)) {
      const scopes = scopeMapsFor(byType, type, integration.trigger.serviceType);
      if ("account" in integration.scope)
        add(scopes.byAccount, integration.scope.account, integration);
      else add(scopes.byService, integration.scope.service.toLowerCase(), integration);
    }
  }
  return { byType };
}

/**
 * The enabled integrations the event matches, account-scoped ones first. Service UUIDs
 * compare case-insensitively, as UUIDs do.
 */
export function matchEvent(index: MatchIndex, event: PbxEvent): Integration[] {
  const scopes = index.byType.get(event.type)?.get(event.data.service.type);
  if (!scopes) return [];
  const byAccount = scopes.byAccount.get(event.data.account) ?? NONE;
  const byService = scopes.byService.get(serviceKey(event.data.service.uuid)) ?? NONE;
  return byService.length === 0 ? [...byAccount] : [...byAccount, ...byService];
}

/** Why the integration does not match the event, or undefined when it does. */
export function explainMismatch(integration: Integration, event: PbxEvent): string | undefined {
  const { name, trigger, scope } = integration;
  if (!integration.enabled) return `integration ${name} is disabled (enabled: false)`;
  if (trigger.serviceType !== event.data.service.type) {
    return `integration ${name} listens to service type ${trigger.serviceType}, the event is from ${quoted(event.data.service.type)}`;
  }
  if (!trigger.events.includes(event.type)) {
    return `integration ${name} is triggered by ${trigger.events.join(", ")}, the event is ${event.type}`;
  }
  // The scope as written: one that came from a secret reference is named, never shown.
  const shown = shownScope(integration);
  if ("account" in scope && scope.account !== event.data.account) {
    return `integration ${name} is scoped to ${scopeText(shown)}, the event is for account ${quoted(event.data.account)}`;
  }
  if ("service" in scope && scope.service.toLowerCase() !== serviceKey(event.data.service.uuid)) {
    return `integration ${name} is scoped to ${scopeText(shown)}, the event is for service ${event.data.service.uuid}`;
  }
  return undefined;
}

/**
 * How an event's service UUID is looked up: in lower case, as UUIDs compare, and without the
 * `urn:uuid:` prefix the event schema's `uuid` format allows (the integration schema does not:
 * a scope is the plain UUID), so both forms of one UUID reach its service integrations.
 */
export function serviceKey(uuid: string): string {
  const lower = uuid.toLowerCase();
  return lower.startsWith(URN_PREFIX) ? lower.slice(URN_PREFIX.length) : lower;
}

const URN_PREFIX = "urn:uuid:";

/** An event's value as an explanation quotes it: a publisher's account may be 960 KB long. */
const quoted = (text: string) => startOf(text, 100);

function scopeMapsFor(
  byType: Map<string, Map<string, ScopeMaps>>,
  type: string,
  serviceType: string,
): ScopeMaps {
  let byServiceType = byType.get(type);
  if (!byServiceType) byType.set(type, (byServiceType = new Map<string, ScopeMaps>()));
  let scopes = byServiceType.get(serviceType);
  if (!scopes)
    byServiceType.set(serviceType, (scopes = { byAccount: new Map(), byService: new Map() }));
  return scopes;
}

function add(map: Map<string, Integration[]>, key: string, integration: Integration): void {
  const list = map.get(key);
  if (list) list.push(integration);
  else map.set(key, [integration]);
}
