/**
 * Reads a fetch of parked deliveries as it arrives and keeps the messages not taken yet alive
 * with progress acknowledgements. A consumer loop takes them one at a time, each once it has
 * a slot of the global cap; while requests that hang hold that cap, the rest of a fetch (up
 * to an integration's `maxInFlight`) waits for spare slots, longer than the ack wait, and
 * NATS would deliver them again meanwhile: sent twice. A fetch is bounded, so reading it
 * ahead holds no more than it asked for.
 */
import type { ConsumerMessages, JsMsg } from "@nats-io/jetstream";
import { coerceError } from "../errors.js";

export async function* readAhead(
  fetched: ConsumerMessages,
  keepAliveEveryMs: number,
): AsyncGenerator<JsMsg> {
  const arrived: JsMsg[] = [];
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const reading = (async () => {
    try {
      for await (const msg of fetched) {
        arrived.push(msg);
        wake?.();
      }
    } catch (error) {
      failure = coerceError(error);
    } finally {
      ended = true;
      wake?.();
    }
  })();
  const keepAlive = setInterval(() => {
    for (const msg of arrived) msg.working();
  }, keepAliveEveryMs);
  keepAlive.unref();
  try {
    for (;;) {
      const next = arrived.shift();
      if (next) yield next;
      else if (ended) break;
      else await new Promise<void>((resolve) => (wake = resolve));
    }
    await reading;
    if (failure) throw failure;
  } finally {
    clearInterval(keepAlive);
  }
}
