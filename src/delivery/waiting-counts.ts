/**
 * Deliveries waiting in JetStream, by integration, from the per-subject counts of the
 * deliveries stream: an integration's backlog that the event consumer's no longer shows
 * once its events are acknowledged (retries waiting for their time, deliveries parked
 * while it had no room).
 */
import {
  DELIVERY_SUBJECT_PREFIX,
  integrationOfDeliverySubject,
  PARKED_SUBJECT_PREFIX,
} from "../nats/layout.js";

export interface WaitingCounts {
  /** Retries and replays waiting for their time. */
  retry: number;
  /** Deliveries waiting for room at their integration. */
  parked: number;
}

/**
 * Reads `hookswitch.deliveries.<consumer>.<integration>` and
 * `hookswitch.parked.<consumer>.<integration>` counts; other subjects are left out.
 */
export function waitingByIntegration(
  subjects: Readonly<Record<string, number>>,
): Map<string, WaitingCounts> {
  const byIntegration = new Map<string, WaitingCounts>();
  for (const [subject, count] of Object.entries(subjects)) {
    const kind = kindOf(subject);
    if (!kind || count <= 0) continue;
    const integration = integrationOfDeliverySubject(subject);
    const counts = byIntegration.get(integration) ?? { retry: 0, parked: 0 };
    counts[kind] += count;
    byIntegration.set(integration, counts);
  }
  return byIntegration;
}

function kindOf(subject: string): keyof WaitingCounts | undefined {
  if (subject.startsWith(`${DELIVERY_SUBJECT_PREFIX}.`)) return "retry";
  if (subject.startsWith(`${PARKED_SUBJECT_PREFIX}.`)) return "parked";
  return undefined;
}

/** Every integration's counts added up. */
export function totalWaiting(byIntegration: ReadonlyMap<string, WaitingCounts>): number {
  let total = 0;
  for (const { retry, parked } of byIntegration.values()) total += retry + parked;
  return total;
}

/** Every integration's retries (and replays) added up. */
export function retriesOf(byIntegration: ReadonlyMap<string, WaitingCounts>): number {
  let total = 0;
  for (const { retry } of byIntegration.values()) total += retry;
  return total;
}
