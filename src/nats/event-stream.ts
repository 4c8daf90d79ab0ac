/**
 * The event stream: PBX events, usually created by hookswitch but often by a producer or by
 * operations first. Ensured at start (setup.ts), its settings read for what would lose
 * events, and a subject overlap with another stream explained by that stream's name.
 *
 * Decisions:
 * - Created here with file storage and limits retention without limits: events survive a
 *   NATS restart and stay until operations set limits, which each start asks for at warn
 *   level until they have (hookswitch cannot know the longest outage to cover).
 * - An existing stream keeps its storage, retention, limits and replicas: hookswitch adds
 *   the subjects it lacks, and a narrower subject of the stream that a wanted one covers
 *   (`pbx.acme.>` under `pbx.>`) is replaced by it (NATS refuses the two side by side). The
 *   stream then carries all it did before, and more. With `create: false` it is only read.
 * - Settings that lose events are warned about, never changed: they are an operator's
 *   choice (the stream is often shared). Age, message and byte limits with discard old are
 *   told at info: operations should set them. A per-subject limit is a warning: one
 *   service's events of one type share a subject. So are message or byte limits with
 *   discard new on limits retention: acknowledged events stay, so the stream fills once. Work-queue retention is an error unless the consumer reads all (`--deliver
 *   all`): NATS refuses any other start on a work queue.
 */
import {
  DiscardPolicy,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamInfo,
} from "@nats-io/jetstream";
import { millis } from "@nats-io/transport-node";
import { formatDuration } from "../config/durations.js";
import { plural } from "../config/text.js";
import {
  NatsSetupError,
  StreamMissingError,
  StreamOverlapError,
  WorkQueueStreamError,
} from "../errors.js";
import type { DeliverFrom } from "./settings.js";
import { addMissingSubjects, setup, streamInfoOrNull } from "./streams.js";

export interface EventStreamConfig {
  name: string;
  subjects: string[];
  /** False: the stream must already exist; it is used as it is. */
  create: boolean;
  /** Replicas of a stream created here (default 1). */
  replicas?: number;
  /** Where the event consumer starts: an existing work queue is refused, unchanged, unless `all`. */
  deliver?: DeliverFrom;
}

export interface EnsuredStream {
  info: StreamInfo;
  created: boolean;
  /** Subjects that were added to an existing stream. */
  addedSubjects: string[];
  /** Subjects of the existing stream that an added one covers, and took the place of. */
  replacedSubjects: string[];
}

export async function ensureEventStream(
  jsm: JetStreamManager,
  config: EventStreamConfig,
): Promise<EnsuredStream> {
  const existing = await streamInfoOrNull(jsm, config.name);
  const unchanged = { created: false, addedSubjects: [], replacedSubjects: [] };
  if (existing === null) {
    if (!config.create) {
      throw new StreamMissingError(config.name, config.subjects);
    }
    const info = await namingOverlaps(jsm, config, () =>
      setup(`create stream ${config.name}`, () =>
        jsm.streams.add({
          name: config.name,
          subjects: config.subjects,
          storage: StorageType.File,
          retention: RetentionPolicy.Limits,
          num_replicas: config.replicas ?? 1,
        }),
      ),
    );
    return { ...unchanged, info, created: true };
  }
  // Before any change: a stream the set-up refuses is left as it was.
  if (config.deliver !== undefined) workQueueCheck(existing, config.deliver);
  if (!config.create) return { ...unchanged, info: existing };
  const { info, added, replaced } = await namingOverlaps(jsm, config, () =>
    addMissingSubjects(jsm, existing, config.subjects),
  );
  return { ...unchanged, info, addedSubjects: added, replacedSubjects: replaced };
}

/** The server's code for "subjects overlap with an existing stream". */
const SUBJECT_OVERLAP = 10065;

/** Runs a create or update; a subject overlap with another stream names that stream. */
async function namingOverlaps<T>(
  jsm: JetStreamManager,
  config: EventStreamConfig,
  action: () => Promise<T>,
): Promise<T> {
  try {
    return await action();
  } catch (err) {
    const cause = err instanceof NatsSetupError ? err.cause : err;
    if (!(cause instanceof JetStreamApiError) || cause.code !== SUBJECT_OVERLAP) throw err;
    const others = await streamsCarrying(jsm, config.subjects, config.name);
    if (others.length === 0) throw err;
    throw new StreamOverlapError(config.name, config.subjects, others, { cause: err });
  }
}

/** Streams other than `self` whose subjects overlap any of `subjects`. */
async function streamsCarrying(
  jsm: JetStreamManager,
  subjects: string[],
  self: string,
): Promise<string[]> {
  const found = new Set<string>();
  for (const subject of subjects) {
    // Best effort: the overlap error stands on its own if the lookup fails.
    const names = await jsm.streams
      .names(subject)
      .next()
      .catch(() => [] as string[]);
    for (const name of names) if (name !== self) found.add(name);
  }
  return [...found].sort();
}

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
      `discard old)`,
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

/** NATS lets a consumer of a work queue only read all of it: say so in hookswitch's terms. */
export function workQueueCheck(info: StreamInfo, deliver: DeliverFrom): void {
  if (info.config.retention !== RetentionPolicy.Workqueue) return;
  if (deliver !== "all") throw new WorkQueueStreamError(info.config.name);
}
