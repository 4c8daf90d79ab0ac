/**
 * The configuration in force: the last generation the watcher made, the snapshot the
 * delivery path reads for every event, and what the metrics say of it. A folder that
 * vanishes while running leaves its last generation in force, reported as a problem.
 */
import { heldBackNames, type ConfigState } from "../config/watch/generation.js";
import type { Problem } from "../config/types.js";
import type { Limiter } from "../delivery/concurrency/limiter.js";
import { buildSnapshot, type ConfigSnapshot } from "../delivery/snapshot.js";
import { recordConfigGeneration, type Metrics } from "../http/metrics.js";

export interface ConfigInForce {
  /** Undefined until the first load. */
  state: () => ConfigState | undefined;
  snapshot: () => ConfigSnapshot;
  /** The generation's problems, and the folder's while it is gone. */
  problems: () => Problem[];
  apply: (state: ConfigState) => void;
  /** The folder vanished (with why) or is back (undefined). */
  folderGone: (problem: Problem | undefined) => void;
}

export function createConfigInForce(deps: { metrics: Metrics; limiter: Limiter }): ConfigInForce {
  let config: ConfigState | undefined;
  let snapshot: ConfigSnapshot = buildSnapshot([]);
  let gone: Problem | undefined;
  const problems = (): Problem[] => [...(config?.problems ?? []), ...(gone ? [gone] : [])];
  return {
    state: () => config,
    snapshot: () => snapshot,
    problems,
    apply: (state) => {
      config = state;
      snapshot = buildSnapshot(state.integrations, heldBackNames(state));
      recordConfigGeneration(deps.metrics, state, problems());
      // A raised maxInFlight makes room for parked deliveries without any request ending.
      deps.limiter.capsChanged();
    },
    folderGone: (problem) => {
      gone = problem;
      if (config) recordConfigGeneration(deps.metrics, config, problems());
    },
  };
}
