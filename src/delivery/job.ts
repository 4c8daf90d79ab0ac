/**
 * A delivery as the dispatcher takes it, what becomes of it, and where it goes when it
 * cannot finish now: the words shared by the handlers, the dispatcher and the durable queue.
 *
 * Words used across delivery/ and nats/: a delivery is *parked* when it is stored to wait for
 * room at its integration, *scheduled for a retry* when it is stored with a time before
 * which it is not attempted, and *handed back* when its message is returned to NATS
 * unsettled (a nak), to come again.
 */
import type { PbxEvent } from "../events/types.js";
import type { ActiveIntegration } from "./snapshot.js";
import type { DeadLetterRecord, DeliveryRecord } from "./records.js";
import type { DeliveryOutcome } from "./stats.js";
import type { AttemptRecord } from "./types.js";

/** Where deliveries go when they cannot finish now. Each resolves once JetStream stored it. */
export interface DurableQueue {
  /**
   * A delivery waiting for its next attempt (a retry), not before `record.notBefore`.
   * `bytes` is about what the record weighs (`Job.bytes`): records being stored are bounded by it.
   */
  scheduleRetry(record: DeliveryRecord, msgId: string, bytes: number): Promise<void>;
  /** A first attempt that found no room at its integration: read again when it has room. */
  park(record: DeliveryRecord, msgId: string, bytes: number): Promise<void>;
  /** `msgId` names what the record stands for, so that storing it again stores nothing. */
  deadLetter(record: DeadLetterRecord, msgId?: string): Promise<void>;
}

export interface Job {
  active: ActiveIntegration;
  event: PbxEvent;
  /** The event as received (parsed JSON), kept verbatim in records. */
  raw: unknown;
  webhookId: string;
  attempts: AttemptRecord[];
  /** The size of the message it came in: about what its record weighs, as text. */
  bytes: number;
  /** See `DeliveryRecord.replays`. */
  replays?: number;
  /** A replay's: the attempts of the runs before it (`DeliveryRecord.earlierAttempts`). */
  earlierAttempts?: AttemptRecord[];
}

/** What became of a job: an attempt's outcome as the figures count it, or parked unattempted. */
export type JobResult = Exclude<DeliveryOutcome, "skipped"> | "parked";

/**
 * Thrown when an attempt's turn came after its integration's file was edited, disabled or
 * removed: the delivery is judged again by the file as it is now (a first attempt is parked,
 * a stored delivery's message handed back), never sent as the file was.
 */
export class IntegrationChangedError extends Error {
  override name = "IntegrationChangedError";
}

/**
 * Thrown when shutdown aborted an attempt: a first attempt is parked (event-handler.ts), a
 * stored delivery's message handed back to NATS (delivery-handler.ts).
 */
export class AttemptAbortedError extends Error {
  override name = "AttemptAbortedError";
}
