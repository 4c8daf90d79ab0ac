/**
 * Said when a generation withdraws integrations that deliveries wait for. Their retries and
 * parked deliveries are skipped when their turn comes if the integration is disabled, and
 * once their records are 5 minutes old if it is removed, which a rename does to the old name
 * (delivery-handler.ts); the generation's own line does not say that anything waits.
 */
import type { Logger } from "pino";
import { heldBackNames, type ConfigState } from "../config/watch/generation.js";
import type { WaitingCounts } from "../delivery/waiting-counts.js";

export interface WithdrawnWhileWaiting extends WaitingCounts {
  integration: string;
  how: "removed" | "disabled";
}

/**
 * Integrations enabled in `before` that `now` disables, or leaves out with no invalid file
 * that may hold them, and that `waiting` (the last count of the delivery stream) has
 * deliveries for.
 */
export function withdrawnWhileWaiting(
  before: ConfigState | undefined,
  now: ConfigState,
  waiting: ReadonlyMap<string, WaitingCounts> | null,
): WithdrawnWhileWaiting[] {
  if (!before || !waiting) return [];
  const inForce = new Map(now.integrations.map((i) => [i.name, i]));
  const held = heldBackNames(now);
  const withdrawn: WithdrawnWhileWaiting[] = [];
  for (const { name, enabled } of before.integrations) {
    const counts = waiting.get(name);
    if (!enabled || !counts || counts.retry + counts.parked === 0) continue;
    const after = inForce.get(name);
    if (after?.enabled === false) withdrawn.push({ integration: name, how: "disabled", ...counts });
    else if (!after && !held.any && !held.names.has(name)) {
      withdrawn.push({ integration: name, how: "removed", ...counts });
    }
  }
  return withdrawn;
}

const FATE = {
  removed: (name: string) =>
    `they are skipped once their records are 5 minutes old, unless a file names ${name} again by then`,
  disabled: (name: string) =>
    `they are skipped when their turn comes, unless ${name} is enabled again by then`,
};

/** One warning per integration `withdrawnWhileWaiting` finds. */
export function warnOfWithdrawnWhileWaiting(
  log: Logger,
  before: ConfigState | undefined,
  now: ConfigState,
  waiting: ReadonlyMap<string, WaitingCounts> | null,
): void {
  for (const { integration, how, retry, parked } of withdrawnWhileWaiting(before, now, waiting)) {
    log.warn(
      { integration, retry, parked },
      `integration ${integration} was ${how === "removed" ? "removed (or renamed)" : "disabled"} ` +
        `while ${retry} ${retry === 1 ? "retry" : "retries"} and ${parked} parked ` +
        `${parked === 1 ? "delivery" : "deliveries"} waited for it (as last counted, up to 10 s ` +
        `ago): ${FATE[how](integration)}`,
    );
  }
}
