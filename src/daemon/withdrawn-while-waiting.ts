/**
 * Said when a generation withdraws integrations that deliveries wait for. Their retries and
 * parked deliveries are skipped when their turn comes if the integration is disabled, and
 * once their records are ROLLOUT_MS old if it is removed, which a rename does to the old name
 * (delivery-handler.ts); the generation's own line does not say that anything waits.
 */
import type { Logger } from "pino";
import { formatDuration } from "../config/durations.js";
import type { ConfigState } from "../config/watch/generation.js";
import { ROLLOUT_MS } from "../delivery/delivery-handler.js";
import type { ConfigSnapshot } from "../delivery/snapshot.js";
import type { WaitingCounts } from "../delivery/waiting-counts.js";
import { PARKED_DISCOVERY_INTERVAL_MS } from "./jetstream-work.js";

export interface WithdrawnWhileWaiting extends WaitingCounts {
  integration: string;
  how: "removed" | "disabled";
}

/** The generation now in force, and whether an invalid file of it may hold a name. */
export type InForce = Pick<ConfigState, "integrations"> & Pick<ConfigSnapshot, "mayBeHeldBack">;

/**
 * Integrations enabled in `before` that `now` disables, or leaves out with no invalid file
 * that may hold them, and that `waiting` (the last count of the delivery stream) has
 * deliveries for.
 */
export function withdrawnWhileWaiting(
  before: ConfigState | undefined,
  now: InForce,
  waiting: ReadonlyMap<string, WaitingCounts> | null,
): WithdrawnWhileWaiting[] {
  if (!before || !waiting) return [];
  const inForce = new Map(now.integrations.map((i) => [i.name, i]));
  const withdrawn: WithdrawnWhileWaiting[] = [];
  for (const { name, enabled } of before.integrations) {
    const counts = waiting.get(name);
    if (!enabled || !counts || counts.retry + counts.parked === 0) continue;
    const after = inForce.get(name);
    if (after?.enabled === false) withdrawn.push({ integration: name, how: "disabled", ...counts });
    else if (!after && !now.mayBeHeldBack(name)) {
      withdrawn.push({ integration: name, how: "removed", ...counts });
    }
  }
  return withdrawn;
}

const FATE = {
  removed: (name: string) =>
    `they are skipped once their records are ${formatDuration(ROLLOUT_MS)} old, ` +
    `unless a file names ${name} again by then`,
  disabled: (name: string) =>
    `they are skipped when their turn comes, unless ${name} is enabled again by then`,
};

/** One warning per integration `withdrawnWhileWaiting` finds. */
export function warnOfWithdrawnWhileWaiting(
  log: Logger,
  before: ConfigState | undefined,
  now: InForce,
  waiting: ReadonlyMap<string, WaitingCounts> | null,
): void {
  for (const { integration, how, retry, parked } of withdrawnWhileWaiting(before, now, waiting)) {
    log.warn(
      { integration, retry, parked },
      `integration ${integration} was ${how === "removed" ? "removed (or renamed)" : "disabled"} ` +
        `while ${retry} ${retry === 1 ? "retry" : "retries"} and ${parked} parked ` +
        `${parked === 1 ? "delivery" : "deliveries"} waited for it (as last counted, up to ` +
        `${formatDuration(PARKED_DISCOVERY_INTERVAL_MS)} ago): ${FATE[how](integration)}`,
    );
  }
}
