/**
 * The JetStream side of the dispatcher's `DurableQueue`: retries and parked deliveries go
 * to the delivery stream under the deployment's consumer name, dead letters to the
 * dead-letter stream. Each resolves only once JetStream has stored the record.
 */
import pRetry from "p-retry";
import type { StoredPublisher } from "../nats/stored-publish.js";
import type { DeadLetterStore } from "./dead-letters.js";
import type { DurableQueue } from "./dispatcher.js";
import {
  deliverySubject,
  NOT_BEFORE_HEADER,
  parkedSubject,
  type DeliveryRecord,
} from "./records.js";

/**
 * A publish that fails (NATS busy or reconnecting) is tried a few more times in process:
 * four tries in all, the bare one included.
 */
const BRIEFLY = { retries: 2, minTimeout: 200, maxTimeout: 1_000 };

export function createDurableQueue(options: {
  publisher: StoredPublisher;
  deadLetters: DeadLetterStore;
  /** The event consumer's name: it namespaces the deployment's deliveries. */
  consumer: string;
  onDeadLetter?: () => void;
  /** Told the integration of each parked delivery once it is stored, to have it read. */
  onParked?: (integration: string) => void;
}): DurableQueue {
  const { publisher, deadLetters, consumer } = options;
  const store = async (subject: string, record: DeliveryRecord, msgID: string) => {
    const data = JSON.stringify(record);
    // The duplicate window is stream-wide: name the deployment so that two of them
    // delivering the same event never swallow each other's records.
    const id = `${consumer}:${msgID}`;
    const extra = record.notBefore ? { [NOT_BEFORE_HEADER]: record.notBefore } : undefined;
    await retriedOnFailure(() => publisher.publish(subject, data, id, extra));
  };
  return {
    enqueue: (record, msgID) => store(deliverySubject(consumer, record.integration), record, msgID),
    async park(record, msgID) {
      await store(parkedSubject(consumer, record.integration), record, msgID);
      options.onParked?.(record.integration);
    },
    async deadLetter(record) {
      await retriedOnFailure(() => deadLetters.add(record));
      options.onDeadLetter?.();
    },
  };
}

/** The first try runs bare: p-retry's bookkeeping costs more than a publish that succeeds. */
async function retriedOnFailure(publish: () => Promise<unknown>): Promise<void> {
  try {
    await publish();
  } catch {
    await pRetry(publish, BRIEFLY);
  }
}
