/**
 * Keeps the event consumer's settings hookswitch's own while the daemon runs. An operator's
 * edit of the shared durable consumer went unnoticed: a filter subject that matched nothing
 * made the consumer pass events by for good, an ack wait shorter than a receiver's answer
 * made every event go out several times, and /readyz stayed ready with nothing logged.
 * Each reading of the consumer (every 5 s, recovery.ts) is compared with the config the
 * last set-up applied; a difference is logged once, naming each field (from → to), and
 * hookswitch's settings come back:
 * - a changed filter by creating the consumer again where the reading before the change
 *   left it (as for a deleted consumer): an update would only stop further loss, and the
 *   events the wrong filter passed by would stay undelivered;
 * - any other field by an update.
 * Not while a recovery runs (it sets the consumer up itself), and not for ever: drift back
 * soon after each restore is another hookswitch with other settings on the same consumer (a
 * rolling update that changes --ack-wait or --subjects) or someone editing it again, and
 * two replicas would put their settings back in turn for as long as both run. After
 * `MAX_RESTORES` within `RESTORE_WINDOW_MS` it is said once at error and left as it is.
 */
import type { ConsumerConfig, ConsumerInfo, JetStreamManager } from "@nats-io/jetstream";
import type { Logger } from "pino";
import { coerceError } from "../errors.js";
import { consumerDrift, type ConsumerDrift } from "./consumer-changes.js";
import type { DurableConsumerConfig } from "./durable-consumers.js";

export const MAX_RESTORES = 3;
export const RESTORE_WINDOW_MS = 10 * 60_000;

export interface ConsumerGuard {
  /** Compares a reading with `wanted`; puts hookswitch's settings back if they differ. */
  check(info: ConsumerInfo, wanted: DurableConsumerConfig | undefined): Promise<void>;
}

export interface GuardOptions {
  jsm: JetStreamManager;
  stream: string;
  log: Logger;
  /** True while a recovery sets JetStream up again: its set-up applies the settings. */
  recovering: () => boolean;
  /**
   * Deletes the consumer and has it created again where the reading before this one left
   * it. Called synchronously within the reading, which must not move that point past the
   * change.
   */
  recreate: (why: string) => Promise<void>;
  now?: () => number;
}

export function guardConsumer(options: GuardOptions): ConsumerGuard {
  const { jsm, stream, log } = options;
  const budget = new RestoreBudget(options.now ?? Date.now);
  // The drift last reported: a change is logged once, not at every reading until restored.
  let reported: string | undefined;
  let restoring = false;
  return {
    async check(info, wanted) {
      if (!wanted || restoring || options.recovering()) return;
      const drift = consumerDrift(info.config, wanted);
      if (drift.length === 0) {
        reported = undefined;
        return;
      }
      const changes = drift.map(describeDrift).join(", ");
      const where = `consumer ${wanted.durable_name} on stream ${stream}`;
      const fields = { stream, consumer: wanted.durable_name, changed: drift.map((d) => d.field) };
      const fresh = changes !== reported;
      reported = changes;
      if (budget.spent()) {
        if (budget.tell()) log.error(fields, givenUpText(where, changes));
        return;
      }
      restoring = true;
      try {
        if (drift.some((d) => d.field.startsWith("filter_subject"))) {
          if (fresh) log.warn(fields, `${differs(where)}: ${changes}; ${REFILTER}`);
          // Called before any await: the reading that called must not move the resume point on.
          await options.recreate(`${where} is created again with this hookswitch's filter`);
        } else {
          if (fresh) log.warn(fields, `${differs(where)}: ${changes}; ${UPDATE}`);
          // An update only: a consumer gone meanwhile is the recovery's to create again. The
          // client merges it into the current config; a field set to undefined is dropped.
          await jsm.consumers.update(stream, wanted.durable_name, updateOf(drift));
          if (fresh) log.info(fields, `${where}: settings put back`);
        }
        budget.spend();
      } catch (err) {
        // Tried again at the next reading (the consumer may be gone: recovery handles that).
        log[fresh ? "warn" : "debug"](
          { err: coerceError(err) },
          `cannot put the settings of ${where} back: ${coerceError(err).message}; trying again in 5 s`,
        );
      } finally {
        restoring = false;
      }
    },
  };
}

/** Who changed it is not known: an operator, or a hookswitch started with other flags. */
const differs = (where: string) =>
  `${where} is not as this hookswitch sets it (changed by an operator, or by another ` +
  `hookswitch with other --ack-wait or --subjects)`;

const REFILTER =
  "creating it again where it stood before the change, so that the events the changed " +
  "filter passed by are delivered";
const UPDATE = "putting hookswitch's settings back";

function updateOf(drift: ConsumerDrift[]): Record<string, unknown> {
  return Object.fromEntries(drift.map((d) => [d.field, d.to]));
}

function givenUpText(where: string, changes: string): string {
  return (
    `${where} keeps being changed back (${changes}) after hookswitch put its settings back ` +
    `${MAX_RESTORES} times within ${RESTORE_WINDOW_MS / 60_000} minutes: another hookswitch ` +
    `with other settings (--ack-wait, --subjects) shares this consumer, or something keeps ` +
    `editing it; hookswitch leaves it as it is for now (each set-up, at start or after NATS ` +
    `lost it, applies hookswitch's settings)`
  );
}

/**
 * How many times a consumer's settings were put back lately: spent at `MAX_RESTORES` within
 * `RESTORE_WINDOW_MS`, and told once per spell of being spent.
 */
export class RestoreBudget {
  readonly #now: () => number;
  #restores: number[] = [];
  #told = false;

  constructor(now: () => number) {
    this.#now = now;
  }

  spent(): boolean {
    const now = this.#now();
    this.#restores = this.#restores.filter((at) => now - at < RESTORE_WINDOW_MS);
    if (this.#restores.length < MAX_RESTORES) this.#told = false;
    return this.#restores.length >= MAX_RESTORES;
  }

  spend(): void {
    this.#restores.push(this.#now());
  }

  /** True the first time it is asked in a spell of being spent. */
  tell(): boolean {
    const first = !this.#told;
    this.#told = true;
    return first;
  }
}

const ZERO_IS_NONE: ReadonlySet<string> = new Set([
  "max_batch",
  "max_expires",
  "max_bytes",
  "inactive_threshold",
] satisfies (keyof ConsumerConfig)[]);
const DURATIONS: ReadonlySet<string> = new Set([
  "ack_wait",
  "max_expires",
  "inactive_threshold",
] satisfies (keyof ConsumerConfig)[]);

/** One setting as the drift warning words it: `ack_wait is 2s where it sets 30s`. */
export function describeDrift(drift: ConsumerDrift): string {
  return `${drift.field} is ${show(drift.field, drift.from)} where it sets ${show(drift.field, drift.to)}`;
}

/** Durations in seconds, as the flags take them; an absent value as "(none)". */
function show(field: string, value: unknown): string {
  if (value === undefined || value === null || value === "") return "(none)";
  // A limit of 0 is no limit.
  if (value === 0 && ZERO_IS_NONE.has(field)) return "(none)";
  if (DURATIONS.has(field) && typeof value === "number") return `${value / 1e9}s`;
  return typeof value === "string" ? value : JSON.stringify(value);
}
