/**
 * How a record JetStream did not store (a retry, a parked delivery, a dead letter) is
 * tried again in process before its message is handed back. Handing an event back sends
 * it again to every integration it matches, those that already answered 2xx included:
 * worth a few seconds' wait when the cause is brief.
 */
import pRetry from "p-retry";
import { isMissingResource } from "./recovery.js";

/** NATS busy or reconnecting: four tries in all, the bare one included. */
const BRIEFLY = { retries: 2, minTimeout: 200, maxTimeout: 1_000 };

/**
 * A stream found missing is created again by the recovery at once (a few JetStream API
 * calls, retried after 0.5 s if they fail): tries over about 8 s outlast that, so the
 * record is stored in the new stream rather than its message handed back.
 */
const WHILE_SET_UP_AGAIN = { retries: 6, minTimeout: 250, maxTimeout: 2_000 };

/**
 * Runs `publish`, and again on failure; rejects with the last failure. `missing` is told
 * when the stream was found missing, to have it set up again (JetStreamKeeper.lost); with
 * no one to do that, a missing stream is tried briefly like any other failure.
 * The first try runs bare: p-retry's bookkeeping costs more than a publish that succeeds.
 */
export async function storeRetried(
  publish: () => Promise<unknown>,
  missing?: () => void,
): Promise<void> {
  try {
    await publish();
  } catch (err) {
    const setUpAgain = missing !== undefined && isMissingResource(err);
    if (setUpAgain) missing();
    await pRetry(publish, setUpAgain ? WHILE_SET_UP_AGAIN : BRIEFLY);
  }
}
