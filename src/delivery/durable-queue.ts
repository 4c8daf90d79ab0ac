/**
 * The JetStream side of the dispatcher's `DurableQueue`: retries and parked deliveries go
 * to the delivery stream under the deployment's consumer name, dead letters to the
 * dead-letter stream. Each resolves only once JetStream has stored the record.
 */
import { storeRetried, type StoreTarget } from "../nats/store-retry.js";
import { ByteBudget } from "./concurrency/byte-budget.js";
import type { StoredPublisher } from "../nats/stored-publish.js";
import type { DeadLetterStore } from "./dead-letters.js";
import type { DurableQueue } from "./job.js";
import { type DeliveryRecord } from "./records.js";
import {
  DEAD_LETTER_STREAM,
  DELIVERY_STREAM,
  deliverySubject,
  NOT_BEFORE_HEADER,
  parkedSubject,
} from "../nats/layout.js";

/**
 * A record's text is held until JetStream has stored it, with its copy in the socket's queue.
 * Parking does not wait for room at the receivers, so without a bound a slow integration's
 * deliveries of large events are all stored at once: ten integrations at 3 s and events of
 * 100 KB held 1,873 records' text, 187 MB, at once. At 1 KiB events this bound never binds.
 */
const STORING_BYTES = 32 * 1024 * 1024;

export function createDurableQueue(options: {
  publisher: StoredPublisher;
  deadLetters: DeadLetterStore;
  /** The event consumer's name: it namespaces the deployment's deliveries. */
  consumer: string;
  onDeadLetter?: () => void;
  /** Told the integration of each parked delivery once it is stored, to have it read. */
  onParked?: (integration: string) => void;
  /** Told a stream the queue writes to is missing (deleted while running), to set it up again. */
  onStreamMissing?: (stream: string) => void;
  /** Told the stream of each record NATS did not store after the tries (its message is handed back). */
  onStoreFailed?: (stream: string) => void;
  /** Bytes of records being stored at once (`Job.bytes`); default `STORING_BYTES`. */
  storingBytes?: number;
}): DurableQueue {
  const { publisher, deadLetters, consumer, onStreamMissing, onStoreFailed } = options;
  const storing = new ByteBudget(options.storingBytes ?? STORING_BYTES);
  const target = (stream: string): StoreTarget => ({
    stream,
    missing: onStreamMissing && (() => onStreamMissing(stream)),
    failed: onStoreFailed,
  });
  const deliveries = target(DELIVERY_STREAM);
  const deadLetterStream = target(DEAD_LETTER_STREAM);
  const store = async (subject: string, record: DeliveryRecord, msgID: string, bytes: number) => {
    const turn = storing.take(bytes);
    if (turn) await turn;
    try {
      const data = JSON.stringify(record);
      // The duplicate window is stream-wide: name the deployment so that two of them
      // delivering the same event never swallow each other's records.
      const id = `${consumer}:${msgID}`;
      const extra = record.notBefore ? { [NOT_BEFORE_HEADER]: record.notBefore } : undefined;
      await storeRetried(() => publisher.publish(subject, data, id, extra), deliveries);
    } finally {
      storing.give(bytes);
    }
  };
  return {
    scheduleRetry: (record, msgID, bytes) =>
      store(deliverySubject(consumer, record.integration), record, msgID, bytes),
    async park(record, msgID, bytes) {
      await store(parkedSubject(consumer, record.integration), record, msgID, bytes);
      options.onParked?.(record.integration);
    },
    async deadLetter(record, msgId) {
      // The store names the message id with the deployment, as its subject.
      const keepOptions = msgId === undefined ? undefined : { msgId };
      await storeRetried(() => deadLetters.keep(record, keepOptions), deadLetterStream);
      options.onDeadLetter?.();
    },
  };
}
