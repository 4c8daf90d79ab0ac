/**
 * Keeps the event consumer's settings hookswitch's own while the daemon runs. An operator's
 * edit of the shared durable consumer went unnoticed: a filter subject that matched nothing
 * made the consumer pass events by for good, an ack wait shorter than a receiver's answer
 * made every event go out several times, and /readyz stayed ready with nothing logged.
 * Each reading of the consumer (every 5 s, recovery.ts) is compared with the config the
 * last set-up applied; a difference is logged once, naming each field (from → to), and
 * the settings are put back.
 */
import type { ConsumerConfig, ConsumerInfo, JetStreamManager } from "@nats-io/jetstream";
import type { Logger } from "pino";
import { coerceError } from "../errors.js";
import {
  consumerDrift,
  type ConsumerDrift,
  type DurableConsumerConfig,
} from "./durable-consumers.js";

export interface ConsumerGuard {
  /** Compares a reading with `wanted`; puts hookswitch's settings back if they differ. */
  check(info: ConsumerInfo, wanted: DurableConsumerConfig | undefined): Promise<void>;
}

export function guardConsumer(options: {
  jsm: JetStreamManager;
  stream: string;
  log: Logger;
}): ConsumerGuard {
  const { jsm, stream, log } = options;
  // The drift last reported: a change is logged once, not at every reading until restored.
  let reported: string | undefined;
  let restoring = false;
  return {
    async check(info, wanted) {
      if (!wanted || restoring) return;
      const drift = consumerDrift(info.config, wanted);
      if (drift.length === 0) {
        reported = undefined;
        return;
      }
      const changes = drift.map(describeDrift).join(", ");
      const where = `consumer ${wanted.durable_name} on stream ${stream}`;
      const fresh = changes !== reported;
      if (fresh) {
        reported = changes;
        log.warn(
          { stream, consumer: wanted.durable_name, changed: drift.map((d) => d.field) },
          `${where} was changed outside hookswitch: ${changes}; putting hookswitch's settings back`,
        );
      }
      restoring = true;
      try {
        // An update only: a consumer gone meanwhile is the recovery's to create again. The
        // client merges it into the current config; a field set to undefined is dropped.
        const update = Object.fromEntries(drift.map((d) => [d.field, d.to]));
        await jsm.consumers.update(stream, wanted.durable_name, update);
        // Said once: a server that keeps ignoring a field is updated again at each reading,
        // without a line each time.
        if (fresh)
          log.info({ stream, consumer: wanted.durable_name }, `${where}: settings put back`);
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

function describeDrift(drift: ConsumerDrift): string {
  return `${drift.field} ${show(drift.field, drift.from)} → ${show(drift.field, drift.to)}`;
}

/** Durations in seconds, as the flags take them; an absent value as "(none)". */
function show(field: string, value: unknown): string {
  if (value === undefined || value === null || value === "") return "(none)";
  if (field === ("ack_wait" satisfies keyof ConsumerConfig) && typeof value === "number") {
    return `${value / 1e9}s`;
  }
  return typeof value === "string" ? value : JSON.stringify(value);
}
