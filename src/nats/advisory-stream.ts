/**
 * The server's MAX_DELIVERIES advisories of a deployment's event consumer, kept in a stream
 * of hookswitch's own. An advisory is a plain NATS message: one published while no replica
 * listens (every replica restarting, or crash-looping, which is how events run out of
 * deliveries) was heard by nobody, and its event, which NATS never delivers again, was lost
 * without a dead letter. Kept in a stream, it waits for the next replica.
 *
 * Decisions:
 * - A work queue, one subject and one durable consumer per deployment: the stream holds
 *   only the advisories not yet turned into dead letters.
 * - Another stream may already capture the subject (an operator's stream of every
 *   advisory): NATS gives a subject to one stream only, so hookswitch then listens as
 *   before, while it runs, and says so.
 */
import { nanos } from "@nats-io/transport-node";
import {
  AckPolicy,
  DeliverPolicy,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
} from "@nats-io/jetstream";
import { NOT_SET } from "./consumer-changes.js";
import { ensurePullConsumer, type DurableConsumerConfig } from "./durable-consumers.js";
import { addMissingSubjects, isSubjectOverlap, asSetupStep, streamInfoOrNull } from "./streams.js";

export const ADVISORY_STREAM = "HOOKSWITCH_ADVISORIES";

/** The advisory NATS publishes when a message of `consumer` runs out of deliveries. */
export const maxDeliveriesSubject = (stream: string, consumer: string) =>
  `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${stream}.${consumer}`;

/** One per deployment and event stream: the advisories' subject names both. */
export const advisoryConsumerName = (stream: string, consumer: string) => `${consumer}-${stream}`;

/** Long enough to copy an event to the dead-letter queue while JetStream is slow. */
const ADVISORY_ACK_WAIT_MS = 60_000;

function advisoryConsumerConfig(stream: string, consumer: string): DurableConsumerConfig {
  return {
    durable_name: advisoryConsumerName(stream, consumer),
    description: "hookswitch: events that ran out of deliveries, to dead-letter",
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: maxDeliveriesSubject(stream, consumer),
    ack_wait: nanos(ADVISORY_ACK_WAIT_MS),
    max_deliver: -1,
    ...NOT_SET,
  };
}

/**
 * Ensures the stream captures the deployment's advisories and its consumer reads them.
 * Resolves false, changing nothing, when another stream captures them already.
 */
export async function ensureAdvisoryCapture(
  jsm: JetStreamManager,
  names: { stream: string; consumer: string; replicas: number },
): Promise<boolean> {
  const subject = maxDeliveriesSubject(names.stream, names.consumer);
  try {
    const existing = await streamInfoOrNull(jsm, ADVISORY_STREAM);
    if (existing === null) {
      await asSetupStep(`create stream ${ADVISORY_STREAM}`, () =>
        jsm.streams.add({
          name: ADVISORY_STREAM,
          subjects: [subject],
          storage: StorageType.File,
          retention: RetentionPolicy.Workqueue,
          num_replicas: names.replicas,
        }),
      );
    } else {
      await addMissingSubjects(jsm, existing, [subject]);
    }
  } catch (err) {
    if (isSubjectOverlap(err)) return false;
    throw err;
  }
  await ensurePullConsumer(
    jsm,
    ADVISORY_STREAM,
    advisoryConsumerConfig(names.stream, names.consumer),
  );
  return true;
}
