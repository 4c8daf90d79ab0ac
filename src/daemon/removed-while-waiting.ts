/**
 * Said when a generation takes out integrations that deliveries wait for. A rename takes
 * the old name out too: its retries and parked deliveries are skipped once their records
 * are 5 minutes old (delivery-handler.ts), and the generation's own line does not say that
 * anything waits for the names it removes.
 */
import type { Logger } from "pino";
import { heldBackNames, type ConfigState } from "../config/watch/generation.js";
import type { WaitingCounts } from "../delivery/waiting-counts.js";

export interface RemovedWhileWaiting extends WaitingCounts {
  integration: string;
}

/**
 * Integrations in force in `before` and not in `now`, that no invalid file of `now` may
 * hold, and that `waiting` (the last count of the delivery stream) has deliveries for.
 */
export function removedWhileWaiting(
  before: ConfigState | undefined,
  now: ConfigState,
  waiting: ReadonlyMap<string, WaitingCounts> | null,
): RemovedWhileWaiting[] {
  if (!before || !waiting) return [];
  const inForce = new Set(now.integrations.map((i) => i.name));
  const held = heldBackNames(now);
  const removed: RemovedWhileWaiting[] = [];
  for (const { name } of before.integrations) {
    if (inForce.has(name) || held.any || held.names.has(name)) continue;
    const counts = waiting.get(name);
    if (counts && counts.retry + counts.parked > 0) removed.push({ integration: name, ...counts });
  }
  return removed;
}

/** One warning per integration `removedWhileWaiting` finds. */
export function warnOfRemovedWhileWaiting(
  log: Logger,
  before: ConfigState | undefined,
  now: ConfigState,
  waiting: ReadonlyMap<string, WaitingCounts> | null,
): void {
  for (const { integration, retry, parked } of removedWhileWaiting(before, now, waiting)) {
    log.warn(
      { integration, retry, parked },
      `integration ${integration} was removed (or renamed) while ` +
        `${retry} ${retry === 1 ? "retry" : "retries"} and ${parked} parked ` +
        `${parked === 1 ? "delivery" : "deliveries"} ` +
        `waited for it (as last counted, up to 10 s ago): they are skipped once their records are ` +
        `5 minutes old, unless a file names ${integration} again by then`,
    );
  }
}
