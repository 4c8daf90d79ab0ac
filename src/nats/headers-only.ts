/**
 * Messages a consumer sends without their bodies. A consumer with `headers_only` set (by an
 * operator: hookswitch never sets it) delivers each message as its headers and a
 * `Nats-Msg-Size` header, and an event without its body would be dead-lettered as invalid and
 * acknowledged: the event itself would never be sent. Such a message is handed back instead,
 * to come again whole once the setting is gone (hookswitch unsets it within 5 s on its event
 * and delivery consumers: consumer-guard.ts; on a parked consumer at its next set-up).
 * Looked for only in a message whose body is empty, which no valid event or record is.
 *
 * Any publisher can send an empty message with a `Nats-Msg-Size` header, though, and each
 * handed back would hold one of the event consumer's places for its 20 deliveries: enough of
 * them stall every tenant's events. So an empty event is handed back only when the stream
 * holds a body for it (`storedWithBody`); one published empty is dead-lettered as invalid.
 */
import type { JetStreamManager } from "@nats-io/jetstream";
import type { MsgHdrs } from "@nats-io/transport-node";
import type { Logger } from "pino";
import type { Settle } from "./settle.js";

/** Long enough for the guard's next reading to have put the setting back. */
const HEADERS_ONLY_DELAY_MS = 5_000;
const HANDED_BACK_FOR_ITS_BODY: Settle = { action: "nak", delayMs: HEADERS_ONLY_DELAY_MS };

/** `data`, the message's body, taken already: the headers are read only when it is empty. */
export function isHeadersOnly(data: Uint8Array, msg: { readonly headers?: MsgHdrs }): boolean {
  return data.length === 0 && msg.headers?.has("Nats-Msg-Size") === true;
}

/**
 * Hands a message without its body back, said once per consumer (then at debug): shared by
 * the handlers of every consumer of a daemon.
 */
export function headersOnlyHandBack(log: Logger): (consumer: string, seq: number) => Settle {
  const told = new Set<string>();
  return (consumer, seq) => {
    const level = told.has(consumer) ? "debug" : "warn";
    told.add(consumer);
    log[level](
      { consumer, seq },
      `consumer ${consumer} sends messages without their bodies (headers_only is set on it): ` +
        `each is handed back, to come again whole once headers_only is unset (hookswitch ` +
        `unsets it within 5 s on its event and delivery consumers, on others when it next ` +
        `sets them up); unset it if something sets it again`,
    );
    return HANDED_BACK_FOR_ITS_BODY;
  };
}

/**
 * Whether the stream holds a body for its message `seq`: one read (the daemon's NATS user may
 * read the event stream's messages). When that cannot be told (the read fails, the message is
 * gone), it says yes: a message handed back is delayed, never lost.
 */
export function storedWithBody(
  jsm: JetStreamManager,
): (stream: string, seq: number) => Promise<boolean> {
  return async (stream, seq) => {
    const stored = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
    return stored === null || stored.data.length > 0;
  };
}
