/**
 * What output shows of an integration's own values: as written in the file wherever a
 * secret reference fed them (`${env:NAME}`), never the secret, which no output may show.
 */
import type { Integration, Scope } from "./types.js";

export function shownScope(integration: Integration): Scope {
  return integration.shown?.scope ?? integration.scope;
}

export function shownDescription(integration: Integration): string | undefined {
  return integration.shown ? integration.shown.description : integration.description;
}

/** "account acme" or "service 3f2…": a scope as messages and the status page write it. */
export function scopeText(scope: Scope): string {
  return "account" in scope ? `account ${scope.account}` : `service ${scope.service}`;
}
