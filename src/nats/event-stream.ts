/**
 * The event stream: PBX events, usually created by hookswitch but often by a producer or by
 * operations first. Ensured at start (setup.ts), its settings read for what would lose
 * events, and a subject overlap with another stream explained by that stream's name.
 *
 * Decisions:
 * - Created here with file storage and limits retention, and no limit but the max age
 *   `--stream-max-age` gives: events survive a NATS restart and stay until operations set
 *   limits, which each start asks for at warn level until they have (hookswitch cannot know
 *   the longest outage to cover).
 * - An existing stream keeps its storage, retention, limits and replicas: hookswitch adds
 *   the subjects it lacks, and a narrower subject of the stream that a wanted one covers
 *   (`pbx.acme.>` under `pbx.>`) is replaced by it (NATS refuses the two side by side). The
 *   stream then carries all it did before, and more. With `create: false` it is only read.
 * - Settings that lose events are warned about, never changed: they are an operator's
 *   choice (the stream is often shared). Age, message and byte limits with discard old are
 *   told at info: operations should set them. A per-subject limit is a warning: one
 *   service's events of one type share a subject. So are message or byte limits with
 *   discard new on limits retention: acknowledged events stay, so the stream fills once;
 *   and so is no limit at all (event-stream-risks.ts). Work-queue retention is an error
 *   unless the consumer reads all (`--deliver all`): NATS refuses any other start on a
 *   work queue.
 */
import { nanos } from "@nats-io/transport-node";
import {
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamInfo,
} from "@nats-io/jetstream";
import { StreamMissingError, StreamOverlapError, WorkQueueStreamError } from "../errors.js";
import type { DeliverFrom } from "./settings.js";
import { addMissingSubjects, isSubjectOverlap, asSetupStep, streamInfoOrNull } from "./streams.js";

export interface EventStreamConfig {
  name: string;
  subjects: string[];
  /** False: the stream must already exist; it is used as it is. */
  create: boolean;
  /** Replicas of a stream created here (default 1). */
  replicas?: number;
  /** Max age of a stream created here, with discard old; absent: no limit. */
  maxAgeMs?: number;
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
      asSetupStep(`create stream ${config.name}`, () =>
        jsm.streams.add({
          name: config.name,
          subjects: config.subjects,
          storage: StorageType.File,
          retention: RetentionPolicy.Limits,
          num_replicas: config.replicas ?? 1,
          ...(config.maxAgeMs === undefined
            ? {}
            : { max_age: nanos(config.maxAgeMs), discard: DiscardPolicy.Old }),
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

/** Runs a create or update; a subject overlap with another stream names that stream. */
async function namingOverlaps<T>(
  jsm: JetStreamManager,
  config: EventStreamConfig,
  action: () => Promise<T>,
): Promise<T> {
  try {
    return await action();
  } catch (err) {
    if (!isSubjectOverlap(err)) throw err;
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

/** NATS lets a consumer of a work queue only read all of it: say so in hookswitch's terms. */
export function workQueueCheck(info: StreamInfo, deliver: DeliverFrom): void {
  if (info.config.retention !== RetentionPolicy.Workqueue) return;
  if (deliver !== "all") throw new WorkQueueStreamError(info.config.name);
}
