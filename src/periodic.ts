/**
 * A task run once now, then again `intervalMs` after each run ends, until stopped: the
 * daemon's background reads (the dead-letter count, the look for parked deliveries). Runs
 * never overlap: against a NATS that hangs, a read that outlasts the interval would
 * otherwise have more started behind it, and an older answer could land after a newer one.
 * A stop that comes during a run leaves no timer set, as the daemon may stop while it is
 * still starting. Tasks catch their own failures (each says them in its own words).
 */
export interface Periodic {
  // Functions, not methods: they use no `this`, so an owner may hand them on as they are.
  /** Runs the task now, then on a timer that keeps no process alive. */
  start: () => Promise<void>;
  stop: () => void;
  /** Whether stop() was called: a run under way then may still end after it. */
  stopped: () => boolean;
}

export function periodic(task: () => Promise<void>, intervalMs: number): Periodic {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const runThenWait = async () => {
    await task();
    if (stopped) return;
    timer = setTimeout(() => void runThenWait(), intervalMs);
    timer.unref();
  };
  return {
    start: runThenWait,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
    stopped: () => stopped,
  };
}
