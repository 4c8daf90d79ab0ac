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
 * event's text (such a record cannot be replayed), then without the request. A record that
 * still does not fit (text that JSON escaping makes six times longer, a server with a small
 * `max_payload`, an event id of many kilobytes) keeps as much of the event's start, and of
 * its id, as it has room for.
 */
export function fitDeadLetter(record: DeadLetterRecord, maxPayload: number): FittedDeadLetter {
  const limit = maxPayload - HEADER_ROOM_BYTES;
  let fitted = record;
  let text = JSON.stringify(fitted);
  for (const cut of CUTS) {
    if (bytes(text) <= limit) return { record: fitted, text };
    const shorter = cut(fitted);
    if (shorter === fitted) continue;
    fitted = shorter;
    text = JSON.stringify(fitted);
  }
  if (bytes(text) <= limit) return { record: fitted, text };
  fitted = eventWithin(fitted, limit);
  return { record: fitted, text: JSON.stringify(fitted) };
}

const bytes = (text: string) => Buffer.byteLength(text, "utf8");

/** What a record says of its event: its text, or its JSON. */
const eventText = (record: DeadLetterRecord): string =>
  typeof record.event === "string" ? record.event : (JSON.stringify(record.event) ?? "");

/** The record with as much of its event's text, and of its id, as `limit` leaves room for. */
function eventWithin(record: DeadLetterRecord, limit: number): DeadLetterRecord {
  let rest = withCut(record, "event", { event: "" });
  if (bytes(JSON.stringify(rest)) > limit && (rest.eventId?.length ?? 0) > KEPT_ID_CHARS) {
    rest = withCut(rest, "eventId", { eventId: rest.eventId!.slice(0, KEPT_ID_CHARS) });
  }
  const room = limit - bytes(JSON.stringify(rest));
  return { ...rest, event: startWithin(eventText(record), room) };
}

/** How much of a long event id a record keeps when nothing else makes it fit. */
const KEPT_ID_CHARS = 256;

/** The longest start of `text` whose JSON string, quotes aside, is at most `room` bytes. */
function startWithin(text: string, room: number): string {
  let [fits, over] = [0, text.length + 1];
  while (over - fits > 1) {
    const middle = Math.floor((fits + over) / 2);
    if (bytes(JSON.stringify(text.slice(0, middle))) - 2 <= room) fits = middle;
    else over = middle;
  }
  return text.slice(0, fits);
}

type Cut = (record: DeadLetterRecord) => DeadLetterRecord;

/** The record changed, with `part` named among its cuts (once). */
const withCut = (record: DeadLetterRecord, part: string, changes: Partial<DeadLetterRecord>) => ({
  ...record,
  ...changes,
  cut: record.cut?.includes(part) ? record.cut : [...(record.cut ?? []), part],
});

const CUTS: Cut[] = [
  (record) =>
    record.request?.body
      ? withCut(record, "request.body", { request: { ...record.request, body: null } })
      : record,
  (record) => {
    const text = eventText(record);
    if (text.length <= KEPT_EVENT_CHARS) return record;
    return withCut(record, "event", { event: text.slice(0, KEPT_EVENT_CHARS) });
  },
  (record) => {
    if (!record.request) return record;
    const shorter = withCut(record, "request", {});
    delete shorter.request;
    return shorter;
  },
];
