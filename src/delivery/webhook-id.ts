/**
 * The `webhook-id` header: derived from the integration name and the event id only, so
 * every attempt, redelivery and replay of one event to one integration carries the same
 * id (receivers dedupe on it) and two integrations never share one.
 */
import { createHash } from "node:crypto";

export function webhookId(integrationName: string, eventId: string): string {
  // The newline cannot occur in an integration name (a DNS label), so no two
  // (name, event id) pairs hash the same input.
  const digest = createHash("sha256").update(`${integrationName}\n${eventId}`).digest("hex");
  return `msg_${digest.slice(0, 32)}`;
}
