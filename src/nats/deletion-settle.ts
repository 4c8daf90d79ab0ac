/**
 * Waits, before a recovery sets JetStream up again, until no stream of hookswitch's is
 * midway through a deletion.
 *
 * Why: nats-server (2.9) forgets a deleted stream (info answers "not found") before it has
 * removed the stream's files. A stream created again under the same name in between gets
 * its folder removed by the old stream's clean-up: the new stream then stores nothing
 * ("open …/msgs/1.blk: no such file or directory") while the daemon reports ready. The
 * consumer's "deleted" notice reaches the daemon within milliseconds of the operator's
 * delete, well inside that window. A stream created after the server answered the delete
 * is safe, but only the deleting client sees that answer: hookswitch waits instead until
 * two readings of its streams, `settleMs` apart, agree (each missing stream seen missing
 * for that long, no stream appearing or changing), up to `maxRounds` readings.
 */
import { JetStreamApiCodes, type JetStreamManager } from "@nats-io/jetstream";
import { isApiError } from "./streams.js";

/** Long enough for the server to remove a deleted stream's files; short for a recovery. */
const DELETION_SETTLE_MS = 1_500;
const MAX_ROUNDS = 6;

export interface SettleOptions {
  /** Waits `ms`; resolves early at shutdown (the recovery's cancellable pause). */
  pause: (ms: number) => Promise<void>;
  stopped: () => boolean;
  settleMs?: number;
  maxRounds?: number;
}

/** Resolves once `streams` read the same twice, `settleMs` apart (or after `maxRounds`). */
export async function settleDeletions(
  jsm: JetStreamManager,
  streams: string[],
  options: SettleOptions,
): Promise<void> {
  const { settleMs = DELETION_SETTLE_MS, maxRounds = MAX_ROUNDS } = options;
  let previous = await readStreams(jsm, streams);
  for (let round = 0; round < maxRounds && !options.stopped(); round++) {
    await options.pause(settleMs);
    if (options.stopped()) return;
    const now = await readStreams(jsm, streams);
    if (now === previous) return;
    previous = now;
  }
}

/**
 * Each stream's creation time, "missing", or "unreadable" (NATS down: the set-up that
 * follows fails and is retried), as one string to compare.
 */
async function readStreams(jsm: JetStreamManager, streams: string[]): Promise<string> {
  const readings = await Promise.all(
    streams.map(async (name) => {
      try {
        return `${name}:${(await jsm.streams.info(name)).created}`;
      } catch (err) {
        return `${name}:${isApiError(err, JetStreamApiCodes.StreamNotFound) ? "missing" : "unreadable"}`;
      }
    }),
  );
  return readings.join(",");
}
