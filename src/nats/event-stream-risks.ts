/**
 * What an event stream's settings cost in events, read at start for the warnings of
 * setup.ts: storage and retention that lose events, limits that drop or refuse them, and
 * no limit at all. Settings are never changed here: the stream is often shared.
 */
import { DiscardPolicy, RetentionPolicy, StorageType, type StreamInfo } from "@nats-io/jetstream";
import { millis } from "@nats-io/transport-node";
import { formatDuration } from "../config/durations.js";
import { plural } from "../config/text.js";

/** What a setting of the event stream costs in events, and whether to warn of it. */
export interface StreamRisk {
  /**
   * `warn` for settings that lose or refuse events a healthy hookswitch has not read yet;
   * `info` for age, message and byte limits with discard old, which operations should set
   * (operating.md sizes them) and which lose only events left undelivered that long.
   */
  level: "warn" | "info";
  text: string;
}

/**
 * What an existing event stream's settings cost in events, one sentence each (empty when
 * nothing is lost). Work-queue retention is checked apart (workQueueCheck): it fails.
 */
export function eventStreamRisks(info: StreamInfo): StreamRisk[] {
  const { name, storage, retention, discard } = info.config;
  const risks: StreamRisk[] = [];
  if (storage === StorageType.Memory) {
    risks.push({
      level: "warn",
      text: `stream ${name} has memory storage: events not yet delivered are lost when NATS restarts`,
    });
  }
  if (retention === RetentionPolicy.Interest) {
    risks.push({
      level: "warn",
      text:
        `stream ${name} has interest retention: events published while no hookswitch consumer ` +
        `exists are dropped at once, and an acknowledged event is gone for good ` +
        `(--deliver all cannot read it again)`,
    });
  }
  const perSubject = perSubjectRisk(info);
  if (perSubject) risks.push(perSubject);
  const limits = limitsOf(info);
  if (limits.length > 0 && discard !== DiscardPolicy.New) {
    risks.push({
      level: "info",
      text:
        `stream ${name} has ${limits.join(", ")} with discard old: events not delivered ` +
        `within these limits are dropped unread`,
    });
  }
  const filling = fillingRisk(info);
  if (filling) risks.push(filling);
  const unbounded = unboundedRisk(info);
  if (unbounded) risks.push(unbounded);
  return risks;
}

/**
 * Limits retention with no limit at all, as hookswitch creates the stream: acknowledged
 * events stay, so it grows with every event until the server's disk or JetStream storage is
 * full, and then every publish fails (a soak at 140 events/s stored 207 MB in 37 minutes).
 * Only operations can size it, so every start says so until they have.
 */
function unboundedRisk(info: StreamInfo): StreamRisk | null {
  const { name, retention, max_age, max_msgs, max_bytes } = info.config;
  if (retention !== RetentionPolicy.Limits || max_age > 0 || max_msgs > 0 || max_bytes > 0) {
    return null;
  }
  return {
    level: "warn",
    text:
      `stream ${name} has no max age, message or byte limit: it keeps every event, ` +
      `acknowledged ones too, and grows until NATS runs out of storage, when every publish ` +
      `fails; set a max age that covers your longest outage (for example 7 days, with ` +
      `discard old): --stream-max-age 7d when hookswitch creates the stream, or on the ` +
      `stream itself once it exists`,
  };
}

/**
 * Events of one service and type share one subject: a per-subject limit drops (or, with
 * discard new per subject, refuses) a burst of them before hookswitch reads them, in a
 * bulk import say, however small the stream is otherwise.
 */
function perSubjectRisk(info: StreamInfo): StreamRisk | null {
  const { name, max_msgs_per_subject: perSubject, discard } = info.config;
  if ((perSubject ?? 0) <= 0) return null;
  const most = `at most ${plural(perSubject, "message")} per subject`;
  const refuses = discard === DiscardPolicy.New && info.config.discard_new_per_subject;
  return {
    level: "warn",
    text: refuses
      ? `stream ${name} has ${most} with discard new per subject: events of one service and ` +
        `type share a subject, so once it holds that many, their next events are refused ` +
        `at publish`
      : `stream ${name} has ${most}: events of one service and type share a subject, so ` +
        `the earlier ones are dropped unread when more arrive before hookswitch reads them ` +
        `(a bulk import)`,
  };
}

/**
 * Limits retention keeps acknowledged events: with discard new, a message or byte limit
 * fills once and then refuses every publish, unless a max age makes room again.
 */
function fillingRisk(info: StreamInfo): StreamRisk | null {
  const { name, retention, discard, max_age } = info.config;
  if (retention !== RetentionPolicy.Limits || discard !== DiscardPolicy.New) return null;
  const limits = sizeLimitsOf(info);
  if (limits.length === 0) return null;
  const room =
    max_age > 0
      ? `until events older than its max age of ${formatDuration(millis(max_age))} expire: ` +
        `keep the limit above what arrives within that time`
      : `for good: set a max age (events older than it are removed) or a larger limit`;
  return {
    level: "warn",
    text:
      `stream ${name} has ${limits.join(", ")} with discard new and limits retention: ` +
      `acknowledged events are not removed from it, so once full it refuses every publish ` +
      room,
  };
}

function sizeLimitsOf(info: StreamInfo): string[] {
  const { max_msgs, max_bytes } = info.config;
  const limits: string[] = [];
  if (max_msgs > 0) limits.push(`a limit of ${max_msgs} messages`);
  if (max_bytes > 0) limits.push(`a limit of ${max_bytes} bytes`);
  return limits;
}

/** The limits (but the per-subject one) that make a stream drop its oldest events. */
function limitsOf(info: StreamInfo): string[] {
  const { max_age } = info.config;
  const limits: string[] = [];
  if (max_age > 0) limits.push(`a max age of ${formatDuration(millis(max_age))}`);
  return [...limits, ...sizeLimitsOf(info)];
}
