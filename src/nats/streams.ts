/**
 * The JetStream streams hookswitch reads and writes, ensured idempotently at start, and
 * `asSetupStep`, which names the failed step for every module that sets up streams or
 * consumers. Every function takes its config as parameters so it can be tuned.
 *
 * Decisions:
 * - The event stream is ensured in event-stream.ts, with the helpers here.
 * - HOOKSWITCH_DELIVERIES uses work-queue retention: a pending delivery is a job that one
 *   shared durable consumer takes; its ack removes it, so the stream holds exactly the
 *   deliveries still to do. Its duplicate window lets `Nats-Msg-Id` drop republishes.
 * - Deliveries parked because their integration had no room are kept in the same stream
 *   under `hookswitch.parked.<consumer>.<integration>`, each integration's read by a durable
 *   consumer of its own (work queues need filters that do not overlap, and these do not
 *   overlap the delivery consumer's). An existing stream gets the subject added.
 * - HOOKSWITCH_DLQ uses limits retention with no limits: nothing leaves it but
 *   `dlq replay` or `dlq purge`.
 * - An operator's limit on either stream at which NATS would drop records is removed at
 *   start, with a warning; one at which it refuses writes is kept, and told
 *   (owned-stream-limits.ts says why).
 */
import { nanos } from "@nats-io/transport-node";
import { subjectCovers } from "./subjects.js";
import {
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamInfo,
} from "@nats-io/jetstream";
import { NatsSetupError, coerceError } from "../errors.js";
import {
  DEAD_LETTER_STREAM,
  DEAD_LETTER_SUBJECT_PREFIX,
  DELIVERY_STREAM,
  DELIVERY_SUBJECT_PREFIX,
  PARKED_SUBJECT_PREFIX,
} from "./layout.js";
import { ownedStreamLimits, refusingLimitsText, removedLimitsText } from "./owned-stream-limits.js";

/**
 * Adds to an existing stream the subjects it lacks, keeping the rest of its config. A
 * subject of the stream that an added one covers (`pbx.acme.>` under `pbx.>`) is replaced
 * by it: NATS refuses the two side by side as an overlap, and the wider one carries all
 * the narrower one did.
 */
export async function addMissingSubjects(
  jsm: JetStreamManager,
  existing: StreamInfo,
  wanted: string[],
): Promise<{ info: StreamInfo; added: string[]; replaced: string[] }> {
  const has = existing.config.subjects ?? [];
  // `pbx.acme.>` is already carried by a stream on `pbx.>`.
  const missing = wanted.filter((s) => !has.some((h) => subjectCovers(h, s)));
  if (missing.length === 0) return { info: existing, added: [], replaced: [] };
  const replaced = has.filter((h) => missing.some((m) => subjectCovers(m, h)));
  const kept = has.filter((h) => !replaced.includes(h));
  const { name } = existing.config;
  const info = await asSetupStep(`add subjects ${missing.join(", ")} to stream ${name}`, () =>
    jsm.streams.update(name, { ...existing.config, subjects: [...kept, ...missing] }),
  );
  return { info, added: missing, replaced };
}

/** A duplicate window long enough for a crashed publisher to republish after restart. */
const DELIVERY_DUPLICATE_WINDOW_MS = 2 * 60_000;

/** Where the set-up tells of limits it found on the streams (setup.ts's SetupLog fits). */
export interface StreamLog {
  warn(message: string, fields?: object): void;
}

const quiet: StreamLog = { warn: () => {} };

/** `replicas` applies when a stream is created (R3 on a 3-node NATS cluster). */
export async function ensureHookswitchStreams(
  jsm: JetStreamManager,
  { replicas = 1, log = quiet }: { replicas?: number; log?: StreamLog } = {},
): Promise<void> {
  await ensureOwnedStream(jsm, log, {
    name: DELIVERY_STREAM,
    num_replicas: replicas,
    subjects: [`${DELIVERY_SUBJECT_PREFIX}.>`, `${PARKED_SUBJECT_PREFIX}.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Workqueue,
    duplicate_window: nanos(DELIVERY_DUPLICATE_WINDOW_MS),
  });
  await ensureOwnedStream(jsm, log, {
    name: DEAD_LETTER_STREAM,
    num_replicas: replicas,
    subjects: [`${DEAD_LETTER_SUBJECT_PREFIX}.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    max_age: 0,
    max_msgs: -1,
    max_bytes: -1,
  });
}

type OwnedStreamConfig = Parameters<JetStreamManager["streams"]["add"]>[0];

/**
 * Streams hookswitch owns are created as given; an existing one keeps its retention and
 * settings, loses the limits at which NATS would drop its records, and gets the subjects of
 * a newer version added.
 */
async function ensureOwnedStream(
  jsm: JetStreamManager,
  log: StreamLog,
  config: OwnedStreamConfig,
): Promise<void> {
  const existing = await streamInfoOrNull(jsm, config.name);
  if (existing === null) {
    await asSetupStep(`create stream ${config.name}`, () => jsm.streams.add(config));
    return;
  }
  if (existing.config.retention !== config.retention) {
    throw new NatsSetupError(
      `stream ${config.name} exists with ${existing.config.retention} retention, but hookswitch ` +
        `needs ${config.retention}: delete it (after draining) or point hookswitch at another NATS account`,
    );
  }
  // The subjects' update writes the whole config: it must start from the one without limits.
  const kept = await removeDroppingLimits(jsm, log, existing);
  await addMissingSubjects(jsm, kept, config.subjects ?? []);
}

/** Removes the limits at which NATS drops records, and tells of those kept. */
async function removeDroppingLimits(
  jsm: JetStreamManager,
  log: StreamLog,
  existing: StreamInfo,
): Promise<StreamInfo> {
  const { name } = existing.config;
  const limits = ownedStreamLimits(existing.config);
  if (limits.refusing.length > 0) {
    log.warn(refusingLimitsText(name, limits), { stream: name, limits: limits.refusing });
  }
  if (limits.dropping.length === 0) return existing;
  const info = await asSetupStep(`remove ${limits.dropping.join(", ")} from stream ${name}`, () =>
    jsm.streams.update(name, limits.removal),
  );
  log.warn(removedLimitsText(name, limits), { stream: name, removed: limits.dropping });
  return info;
}

export async function streamExists(jsm: JetStreamManager, name: string): Promise<boolean> {
  return (await streamInfoOrNull(jsm, name)) !== null;
}

export async function streamInfoOrNull(
  jsm: JetStreamManager,
  name: string,
): Promise<StreamInfo | null> {
  try {
    return await jsm.streams.info(name);
  } catch (err) {
    if (isApiError(err, JetStreamApiCodes.StreamNotFound)) return null;
    throw new NatsSetupError(`cannot read stream ${name}: ${coerceError(err).message}`, {
      cause: err,
    });
  }
}

export function isApiError(err: unknown, code: number): boolean {
  return err instanceof JetStreamApiError && err.code === code;
}

/** The server's code for "subjects overlap with an existing stream". */
const SUBJECT_OVERLAP = 10065;

/** A stream's create or update (wrapped by `asSetupStep`, or not) refused: another stream has its subjects. */
export function isSubjectOverlap(err: unknown): boolean {
  return isApiError(err instanceof NatsSetupError ? err.cause : err, SUBJECT_OVERLAP);
}

/** Runs one step of the JetStream set-up; a failure becomes a `NatsSetupError` that names the step. */
export async function asSetupStep<T>(what: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (err) {
    throw new NatsSetupError(`cannot ${what}: ${coerceError(err).message}`, { cause: err });
  }
}
