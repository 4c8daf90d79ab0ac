/**
 * The deployment's dead letters for `/metrics` and the status page (its own and the old
 * layout's, not another deployment's: each one's alert is about its own): read from NATS
 * now and then, and counted up between reads as this replica adds dead letters. A read
 * during which this replica added one may have missed it, so it is read again shortly after
 * (without that, a replica starting with dead letters to write showed one too few until the
 * next read).
 */
import { isMissingResource } from "../nats/recovery.js";
import { periodic } from "../periodic.js";
import type { DeadLetterStore } from "./dead-letters.js";

export interface DeadLetterCount {
  /** The last known size; null until the first read. */
  value(): number | null;
  /** One more dead letter, counted between the reads. */
  added(): void;
  /** Reads the size now, then again every `intervalMs` until stopped. */
  start(): Promise<void>;
  stop(): void;
}

export function createDeadLetterCount(options: {
  store: Pick<DeadLetterStore, "count">;
  gauge: { set(count: number): void };
  /** HOOKSWITCH_DLQ found missing: the daemon sets it up again. */
  missing: () => void;
  intervalMs: number;
  /** How soon a read that overlapped an addition is made again. */
  rereadMs?: number;
}): DeadLetterCount {
  const { store, gauge, missing, intervalMs, rereadMs = 1_000 } = options;
  let count: number | null = null;
  let additions = 0;
  let reread: NodeJS.Timeout | undefined;

  const refresh = async () => {
    try {
      const before = additions;
      const read = await store.count();
      if (reads.stopped()) return; // a read that was under way when the daemon stopped
      count = read;
      gauge.set(count);
      if (additions !== before) readAgainSoon();
    } catch (err) {
      // NATS unavailable: keep the last known count. A deleted HOOKSWITCH_DLQ is noticed
      // here too, before a dead letter meets it missing.
      if (isMissingResource(err)) missing();
    }
  };
  const reads = periodic(refresh, intervalMs);
  const readAgainSoon = () => {
    if (reread) return;
    reread = setTimeout(() => {
      reread = undefined;
      void refresh();
    }, rereadMs);
    reread.unref();
  };

  return {
    value: () => count,
    added() {
      additions += 1;
      if (count === null) return;
      count += 1;
      gauge.set(count);
    },
    start: reads.start,
    stop() {
      reads.stop();
      clearTimeout(reread);
    },
  };
}
