/**
 * Messages a consumer sends without their bodies. A consumer with `headers_only` set (by an
 * operator: hookswitch never sets it) delivers each message as its headers and a
 * `Nats-Msg-Size` header, and an event without its body would be dead-lettered as invalid and
 * acknowledged: the event itself would never be sent. Such a message is handed back instead,
 * to come again whole once hookswitch has put its consumer's settings back (at the next
 * reading of the consumer, within 5 s: consumer-guard.ts, or at the next start).
 */
import type { JsMsg } from "@nats-io/jetstream";
import type { Logger } from "pino";

/** Long enough for the guard's next reading to have put the setting back. */
export const HEADERS_ONLY_DELAY_MS = 5_000;

export function isHeadersOnly(msg: JsMsg): boolean {
  // Only an empty message is looked at: the header is parsed for no other.
  return msg.data.length === 0 && msg.headers?.has("Nats-Msg-Size") === true;
}

/** Says once per consumer loop that its messages come without bodies; then at debug. */
export function headersOnlyNotice(log: Logger, consumer: string): (seq: number) => void {
  let told = false;
  return (seq) => {
    const level = told ? "debug" : "warn";
    told = true;
    log[level](
      { consumer, seq },
      `consumer ${consumer} sends messages without their bodies (headers_only is set on it): ` +
        `each is handed back, to come again whole once headers_only is unset (hookswitch ` +
        `unsets it within 5 s on its event and delivery consumers, on others when it next ` +
        `sets them up); unset it if something sets it again`,
    );
  };
}
