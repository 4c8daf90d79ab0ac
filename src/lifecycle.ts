/**
 * The process's signal ladder. First SIGTERM/SIGINT: graceful stop (stop intake, finish
 * or hand back in-flight work within the grace period, drain NATS, close servers).
 * A second one: stop at once. SIGHUP: a full configuration resync.
 */
import type { Logger } from "pino";

export interface StopRequest {
  signal: NodeJS.Signals;
}

export interface SignalLadder {
  /** Resolves at the first SIGTERM or SIGINT. */
  stopRequested: Promise<StopRequest>;
  /** Resolves at a second SIGTERM or SIGINT, while stopping. */
  forceRequested: Promise<StopRequest>;
  dispose(): void;
}

const LADDER_SIGNALS: NodeJS.Signals[] = ["SIGTERM", "SIGINT", "SIGHUP"];

/** Signals that came before the ladder listened, in order, while they are held. */
let early: NodeJS.Signals[] | undefined;
const noteEarly = (signal: NodeJS.Signals) => early?.push(signal);

/**
 * Until the ladder listens. The daemon's modules take a moment to load, and meanwhile
 * Node.js's default would end the process: at a SIGHUP (exit 129), which asks for a resync,
 * and at a SIGTERM with 143, not the clean stop's 0. They are noted, and the ladder takes
 * them over.
 */
export function holdEarlySignals(): void {
  if (early) return; // held already
  early = [];
  for (const signal of LADDER_SIGNALS) process.on(signal, noteEarly);
}

/** The signals held until now; none are held from here on. */
function takeEarlySignals(): NodeJS.Signals[] {
  for (const signal of LADDER_SIGNALS) process.off(signal, noteEarly);
  const taken = early ?? [];
  early = undefined;
  return taken;
}

export function installSignalLadder(log: Logger, onHangup: () => void): SignalLadder {
  let resolveStop!: (r: StopRequest) => void;
  let resolveForce!: (r: StopRequest) => void;
  const stopRequested = new Promise<StopRequest>((r) => (resolveStop = r));
  const forceRequested = new Promise<StopRequest>((r) => (resolveForce = r));
  let stopping = false;

  const onStop = (signal: NodeJS.Signals) => {
    if (!stopping) {
      stopping = true;
      log.info(
        { signal },
        "stopping: finishing in-flight deliveries (send the signal again to stop at once)",
      );
      resolveStop({ signal });
    } else {
      log.warn(
        { signal },
        "second signal: stopping at once; unfinished deliveries will be redelivered",
      );
      resolveForce({ signal });
    }
  };
  const onHup = () => {
    log.info("SIGHUP: resyncing the configuration");
    onHangup();
  };
  process.on("SIGTERM", onStop);
  process.on("SIGINT", onStop);
  process.on("SIGHUP", onHup);
  // A SIGHUP held is moot: the daemon has not read its files yet, and its first load reads all.
  for (const signal of takeEarlySignals()) if (signal !== "SIGHUP") onStop(signal);
  return {
    stopRequested,
    forceRequested,
    dispose() {
      process.off("SIGTERM", onStop);
      process.off("SIGINT", onStop);
      process.off("SIGHUP", onHup);
    },
  };
}

/** Runs `step`, but gives up waiting after `ms` (a stuck close must not block the ladder). */
export async function withDeadline<T>(step: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
    timer.unref();
  });
  try {
    return await Promise.race([step, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

const abortions = new WeakMap<AbortSignal, Promise<void>>();

/**
 * Resolves once `signal` aborts. One listener per signal however many wait on it: every
 * consumer loop waits on the grace period's signal at a stop, and more than ten listeners
 * on one signal make Node.js warn of a leak.
 */
export function aborted(signal: AbortSignal): Promise<void> {
  let wait = abortions.get(signal);
  if (!wait) {
    wait = signal.aborted
      ? Promise.resolve()
      : new Promise<void>((resolve) =>
          signal.addEventListener("abort", () => resolve(), { once: true }),
        );
    abortions.set(signal, wait);
  }
  return wait;
}

/** The exit code of a command stopped by `signal`, as a shell reports one killed by it. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return signal === "SIGINT" ? 130 : 143;
}
