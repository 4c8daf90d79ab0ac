/**
 * A task run once now, then every `intervalMs` until stopped: the daemon's background
 * reads (the dead-letter count, the look for parked deliveries). A stop that comes during
 * the first run leaves no timer set, as the daemon may stop while it is still starting.
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
  return {
    async start() {
      await task();
      if (stopped) return;
      timer = setInterval(() => void task(), intervalMs);
      timer.unref();
    },
    stop() {
      stopped = true;
      clearInterval(timer);
    },
    stopped: () => stopped,
  };
}
