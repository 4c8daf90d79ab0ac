/**
 * How an existing consumer's config differs from the one hookswitch sets: the fields an
 * update may change, and the filter, which hookswitch changes by creating the consumer
 * again (durable-consumers.ts says why).
 */
import type { ConsumerConfig, ConsumerUpdateConfig } from "@nats-io/jetstream";

/** Fields a server lets an existing consumer change. `deliver_policy` is not one of them. */
const UPDATABLE_FIELDS = [
  "description",
  "ack_wait",
  "max_deliver",
  "max_ack_pending",
  "filter_subject",
  "filter_subjects",
  "max_batch",
  "max_expires",
  "max_bytes",
  "headers_only",
  "inactive_threshold",
] as const satisfies readonly (keyof ConsumerUpdateConfig)[];

/**
 * Settings hookswitch's consumers have none of, as NATS shows them when they are not set: a
 * limit on pull requests smaller than a loop's (a `max_batch` of 10 against pulls of 256)
 * has each of them refused, and the loop reads nothing while it looks ready; `headers_only`
 * sends events without their bodies, which would be dead-lettered as invalid; an
 * `inactive_threshold` has NATS delete the consumer while no replica runs, and the next start
 * begins per `--deliver new`, past the events that waited (the parked consumers set theirs).
 */
export const NOT_SET = {
  max_batch: 0,
  max_expires: 0,
  max_bytes: 0,
  headers_only: false,
  inactive_threshold: 0,
} as const satisfies Partial<ConsumerUpdateConfig>;

const FILTER_FIELDS: ReadonlySet<string> = new Set(["filter_subject", "filter_subjects"]);

/** A field of a consumer's config whose value is not the one hookswitch sets. */
export interface ConsumerDrift {
  field: string;
  from: unknown;
  /** undefined: no value (a filter that should not be there). */
  to: unknown;
}

/**
 * How an existing consumer's config differs from `wanted` in the fields hookswitch sets
 * back: a filter an operator added, an ack wait changed, …
 */
export function consumerDrift(
  current: ConsumerConfig,
  wanted: Partial<ConsumerConfig>,
): ConsumerDrift[] {
  const drift: ConsumerDrift[] = Object.entries(changedFields(current, wanted)).map(
    ([field, to]) => ({
      field,
      from: current[field as keyof ConsumerConfig],
      to,
    }),
  );
  if (dropsFilter(current, wanted)) {
    drift.push({ field: "filter_subject", from: current.filter_subject, to: undefined });
  }
  return drift;
}

/** Whether `wanted` filters other subjects than `current` does (or none where it has one). */
export function filterDiffers(current: ConsumerConfig, wanted: Partial<ConsumerConfig>): boolean {
  return consumerDrift(current, wanted).some((drift) => FILTER_FIELDS.has(drift.field));
}

/** The fields other than the filter that an update sets to `wanted`'s values. */
export function updatableChanges(
  current: ConsumerConfig,
  wanted: Partial<ConsumerConfig>,
): Partial<ConsumerUpdateConfig> {
  return Object.fromEntries(
    Object.entries(changedFields(current, wanted)).filter(([field]) => !FILTER_FIELDS.has(field)),
  );
}

function dropsFilter(current: ConsumerConfig, wanted: Partial<ConsumerConfig>): boolean {
  const noneWanted = wanted.filter_subject === undefined && wanted.filter_subjects === undefined;
  return noneWanted && Boolean(current.filter_subject);
}

function changedFields(
  current: ConsumerConfig,
  wanted: Partial<ConsumerConfig>,
): Partial<ConsumerUpdateConfig> {
  const changes: Record<string, unknown> = {};
  for (const field of UPDATABLE_FIELDS) {
    const want = wanted[field];
    const have = current[field] ?? (NOT_SET as Partial<ConsumerUpdateConfig>)[field];
    if (want !== undefined && JSON.stringify(want) !== JSON.stringify(have)) {
      changes[field] = want;
    }
  }
  return changes;
}
