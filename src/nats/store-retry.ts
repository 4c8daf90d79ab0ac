/**
 * How a record JetStream did not store (a retry, a parked delivery, a dead letter) is
 * tried again in process before its message is handed back. Handing an event back sends
 * it again to every integration it matches, those that already answered 2xx included:
 * worth a few seconds' wait when the cause is brief.
 */
import pRetry from "p-retry";
import { StoreFailedError } from "./store-failure.js";
import { isMissingResource } from "./recovery.js";

/** NATS busy or reconnecting: four tries in all, the bare one included. */
const BRIEFLY = { retries: 2, minTimeout: 200, maxTimeout: 1_000 };

/**
 * A stream found missing is created again by the recovery at once (a few JetStream API
 * calls, retried after 0.5 s if they fail): tries over about 8 s outlast that, so the
 * record is stored in the new stream rather than its message handed back.
 */
const WHILE_SET_UP_AGAIN = { retries: 6, minTimeout: 250, maxTimeout: 2_000 };

export interface StoreTarget {
  /** The stream the record goes to: a failure names it. */
  stream: string;
  /**
   * Told when the stream was found missing, to have it set up again (JetStreamKeeper.lost);
   * with no one to do that, a missing stream is tried briefly like any other failure.
   */
  missing?: (() => void) | undefined;
  /** Told once per record NATS did not store after the tries (the store-failure metric). */
  failed?: ((stream: string) => void) | undefined;
}

/**
 * Runs `publish`, and again on failure. A record NATS did not store after the tries
 * rejects with `StoreFailedError` naming the stream; anything else (a bug) as it was thrown.
 * The first try runs bare: p-retry's bookkeeping costs more than a publish that succeeds.
 */
export async function storeRetried(
  publish: () => Promise<unknown>,
  target: StoreTarget,
): Promise<void> {
  try {
    await publish();
  } catch (err) {
    const setUpAgain = target.missing !== undefined && isMissingResource(err);
    if (setUpAgain) target.missing!();
    try {
      await pRetry(publish, setUpAgain ? WHILE_SET_UP_AGAIN : BRIEFLY);
    } catch (last) {
      const failure = StoreFailedError.of(target.stream, last);
      if (failure instanceof StoreFailedError) target.failed?.(target.stream);
      throw failure;
    }
  }
}
