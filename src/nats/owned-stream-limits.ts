/**
 * Limits an operator set on a stream hookswitch owns (HOOKSWITCH_DELIVERIES, HOOKSWITCH_DLQ),
 * sorted by what NATS does at them: drop records (lost work) or refuse writes (nothing lost).
 *
 * Decisions:
 * - Every record of these streams is work nothing else keeps: a delivery still to do, or a
 *   dead letter that leaves only by `dlq replay` or `dlq purge`. A limit at which NATS drops
 *   records is removed at start, with a warning naming it (streams.ts), rather than refusing
 *   to start: hookswitch owns these streams and already updates them in place at start (for
 *   subjects); a daemon that refused would leave every replica down, and the events of the
 *   outage to the event stream's own limits, over a setting that had only ever lost work. An
 *   operator who wants the stream bounded gets the safe form in the warning: discard new.
 * - `max_age` drops records whatever the discard policy. `max_msgs` and `max_bytes` drop the
 *   oldest with discard old, and refuse writes with discard new. `max_msgs_per_subject`
 *   drops a subject's oldest unless discard new applies per subject too
 *   (`discard_new_per_subject`): then it refuses writes to that subject.
 * - Refused writes lose nothing (the daemon hands the message back and retries); those
 *   limits are kept and told once at warn level, since work waits while the stream is full.
 */
import { DiscardPolicy, type StreamConfig, type StreamUpdateConfig } from "@nats-io/jetstream";
import { millis } from "@nats-io/transport-node";
import { formatDuration } from "../config/durations.js";
import { DEAD_LETTER_STREAM, DELIVERY_STREAM } from "./layout.js";

export interface OwnedStreamLimits {
  /** Limits at which NATS drops records, as `max_msgs 10`: removed at start. */
  dropping: string[];
  /** The settings that remove `dropping` (an empty object when there is none). */
  removal: Partial<StreamUpdateConfig>;
  /** Limits at which NATS refuses writes instead (discard new): kept. */
  refusing: string[];
}

type LimitSettings = Pick<
  StreamConfig,
  "max_age" | "max_msgs" | "max_bytes" | "max_msgs_per_subject" | "discard"
> & { discard_new_per_subject?: boolean };

/** Sorts a stream's limits (0 and -1 mean none) by whether NATS drops records at them. */
export function ownedStreamLimits(config: LimitSettings): OwnedStreamLimits {
  const found: OwnedStreamLimits = { dropping: [], removal: {}, refusing: [] };
  const discardNew = config.discard === DiscardPolicy.New;
  if (config.max_age > 0) {
    found.dropping.push(`max_age ${formatDuration(millis(config.max_age))}`);
    found.removal.max_age = 0;
  }
  for (const key of ["max_msgs", "max_bytes", "max_msgs_per_subject"] as const) {
    const value = config[key] ?? 0;
    if (value <= 0) continue;
    const refuses =
      key === "max_msgs_per_subject" ? discardNew && config.discard_new_per_subject : discardNew;
    if (refuses) {
      found.refusing.push(`${key} ${value}`);
    } else {
      found.dropping.push(`${key} ${value}`);
      found.removal[key] = -1;
    }
  }
  return found;
}

/** What a record of each owned stream is, for the warnings. */
const OWNED_STREAM_RECORDS: Readonly<Record<string, string>> = {
  [DELIVERY_STREAM]: "a delivery still to do (a retry waiting or a parked delivery)",
  [DEAD_LETTER_STREAM]: "a dead letter, which leaves only by dlq replay or dlq purge",
};

/** The warning for limits removed from an owned stream. */
export function removedLimitsText(stream: string, limits: OwnedStreamLimits): string {
  const record = OWNED_STREAM_RECORDS[stream] ?? "work nothing else keeps";
  const discardOld = limits.dropping.some((l) => !l.startsWith("max_age")) ? " (discard old)" : "";
  return (
    `stream ${stream} had ${limits.dropping.join(", ")}${discardOld}, at which NATS drops ` +
    `records unread, and each is ${record}: hookswitch removed ` +
    `${limits.dropping.length === 1 ? "this limit" : "these limits"} so no work is lost. ` +
    `To bound the stream, set max_msgs or max_bytes with discard new: writes past the limit ` +
    `are then refused and retried, not lost`
  );
}

/** The warning for limits kept on an owned stream, at which NATS refuses writes. */
export function refusingLimitsText(stream: string, limits: OwnedStreamLimits): string {
  return (
    `stream ${stream} has ${limits.refusing.join(", ")} with discard new: writes past the ` +
    `limit will be refused, and the events that need them handed back and retried until ` +
    `space returns (nothing is lost, but that work waits); hookswitch keeps the limit`
  );
}
