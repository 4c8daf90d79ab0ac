/**
 * A dead letter must fit in one NATS message (the server's `max_payload`, 1 MiB unless
 * configured otherwise). A record holding an event near that size, a request body as large
 * as its event, or a long text that JSON escaping doubles would not: its publish fails, the
 * source message is handed back, and it comes back until NATS gives up on it, in no
 * dead-letter queue. So what does not fit is cut, the largest part first, and the record
 * names what was cut.
 */
import type { DeadLetterRecord } from "./records.js";

/** Room left in a message for its headers (the message id) and the protocol line. */
export const HEADER_ROOM_BYTES = 4 * 1024;
/** How much of an event's text a record keeps when the whole event does not fit. */
export const KEPT_EVENT_CHARS = 64 * 1024;

export interface FittedDeadLetter {
  record: DeadLetterRecord;
  /** The record as JSON, as it is published. */
  text: string;
}

/**
 * The record, or a shorter one that fits in `maxPayload` bytes: first without the request
 * body (`hookswitch render` shows it again from the event), then with only the start of the
 * event's text (such a record cannot be replayed), then without the request.
 */
export function fitDeadLetter(record: DeadLetterRecord, maxPayload: number): FittedDeadLetter {
  const limit = maxPayload - HEADER_ROOM_BYTES;
  let fitted = record;
  let text = JSON.stringify(fitted);
  for (const cut of CUTS) {
    if (Buffer.byteLength(text, "utf8") <= limit) break;
    const shorter = cut(fitted);
    if (shorter === fitted) continue;
    fitted = shorter;
    text = JSON.stringify(fitted);
  }
  return { record: fitted, text };
}

type Cut = (record: DeadLetterRecord) => DeadLetterRecord;

const withCut = (record: DeadLetterRecord, part: string, changes: Partial<DeadLetterRecord>) => ({
  ...record,
  ...changes,
  cut: [...(record.cut ?? []), part],
});

const CUTS: Cut[] = [
  (record) =>
    record.request?.body
      ? withCut(record, "request.body", { request: { ...record.request, body: null } })
      : record,
  (record) => {
    const text = typeof record.event === "string" ? record.event : JSON.stringify(record.event);
    if (text === undefined || text.length <= KEPT_EVENT_CHARS) return record;
    return withCut(record, "event", { event: text.slice(0, KEPT_EVENT_CHARS) });
  },
  (record) => {
    if (!record.request) return record;
    const shorter = withCut(record, "request", {});
    delete shorter.request;
    return shorter;
  },
];
