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
