/**
 * What the config watcher does when a file watch fails: a folder it may not watch is left
 * to the periodic resync, and running out of watches turns the watcher into a poller.
 */
import type { Logger } from "../../logger.js";

/** Rescan interval once the OS refuses more file watches. */
const FALLBACK_POLL_MS = 1_000;
const OUT_OF_WATCHES = ["ENOSPC", "EMFILE", "ENFILE"];

/**
 * Returns the handler of the watches' errors for folder `dir`; `poll` is called once, the
 * first time the OS refuses more watches, with the interval to rescan at instead.
 */
export function watchFailureHandler(
  dir: string,
  log: Logger,
  poll: (everyMs: number) => void,
): (error: Error) => void {
  let polling = false;
  const unwatchable = new Set<string>();
  return (error) => {
    const { code, path: where = dir } = error as NodeJS.ErrnoException;
    // A folder without rights is not fatal: the scans report it, its files keep their last
    // valid versions, and the other folders stay watched.
    if (code === "EACCES" || code === "EPERM") {
      if (!unwatchable.has(where)) {
        log.warn(
          { file: where },
          `${where} cannot be watched (${code}): changes in it are applied by the periodic resync once it can be read`,
        );
      }
      unwatchable.add(where);
      return;
    }
    log.error({ err: error }, "watching the integrations folder failed");
    if (polling || !OUT_OF_WATCHES.includes(code ?? "")) return;
    polling = true;
    log.warn(`file watches unavailable (${code}): rescanning every ${FALLBACK_POLL_MS} ms instead`);
    poll(FALLBACK_POLL_MS);
  };
}
