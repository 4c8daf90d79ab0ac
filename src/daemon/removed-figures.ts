/**
 * Figures of integrations that are gone. A removed integration's series stay on /metrics
 * for a while, so that Prometheus scrapes their last values and the skips of its waiting
 * deliveries (held up to 5 minutes, see delivery-handler.ts) are counted under its name;
 * then they are dropped. Without this, a folder whose integrations come and go (generated
 * names, tests) grew by about 20 series per name ever loaded until the replica restarted.
 */
import type { Logger } from "pino";
import type { DeliveryStats } from "../delivery/stats.js";
import type { DurationHistogram } from "../http/duration-histogram.js";
import { periodic, type Periodic } from "../periodic.js";

/** How long a name is gone before its figures are: past the hold of its deliveries. */
const FORGET_AFTER_MS = 15 * 60_000;

/**
 * Which names to forget: those with figures that have not been loaded for `afterMs`,
 * counted from the first sweep that found them gone. Pure: the caller passes the time.
 */
export class RemovedFigures {
  readonly #afterMs: number;
  readonly #goneSince = new Map<string, number>();

  constructor(afterMs = FORGET_AFTER_MS) {
    this.#afterMs = afterMs;
  }

  sweep(
    withFigures: Iterable<string>,
    isLoaded: (name: string) => boolean,
    nowMs: number,
  ): string[] {
    const forget: string[] = [];
    const seen = new Set<string>();
    for (const name of withFigures) {
      if (seen.has(name)) continue;
      seen.add(name);
      if (isLoaded(name)) continue;
      const since = this.#goneSince.get(name);
      if (since === undefined) this.#goneSince.set(name, nowMs);
      else if (nowMs - since >= this.#afterMs) forget.push(name);
    }
    // Names loaded again, or already forgotten, start over if they go again.
    for (const name of this.#goneSince.keys()) {
      if (!seen.has(name) || isLoaded(name)) this.#goneSince.delete(name);
    }
    for (const name of forget) this.#goneSince.delete(name);
    return forget;
  }
}

/** Sweeps once a minute; the daemon stops it with its other background work. */
export function forgetRemovedFigures(deps: {
  stats: DeliveryStats;
  attemptDuration: DurationHistogram;
  isLoaded: (name: string) => boolean;
  /**
   * Others that keep something per integration, told to forget it too. One with names of
   * its own adds them to those swept: a name it kept when told (work still in flight) is
   * told again once gone that long anew.
   */
  alsoForget?: ReadonlyArray<{ forget(name: string): void; integrations?(): Iterable<string> }>;
  log: Logger;
  afterMs?: number;
  everyMs?: number;
}): Periodic {
  const removed = new RemovedFigures(deps.afterMs);
  const sweep = () => {
    const withFigures = [
      ...[...deps.stats.counts()].map(([name]) => name),
      ...deps.attemptDuration.integrations(),
      ...(deps.alsoForget ?? []).flatMap((other) => [...(other.integrations?.() ?? [])]),
    ];
    const forget = removed.sweep(withFigures, deps.isLoaded, performance.now());
    for (const name of forget) {
      deps.stats.forget(name);
      deps.attemptDuration.forget(name);
      for (const other of deps.alsoForget ?? []) other.forget(name);
    }
    if (forget.length > 0) {
      deps.log.debug(
        { integrations: forget.slice(0, 20) },
        "figures of removed integrations dropped",
      );
    }
  };
  return periodic(() => Promise.resolve(sweep()), deps.everyMs ?? 60_000);
}
