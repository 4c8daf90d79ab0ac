/**
 * Everything hookswitch needs on JetStream before it consumes: the event stream (created
 * or checked), its own delivery and dead-letter streams, and the two durable consumers.
 */
import type { JetStreamManager } from "@nats-io/jetstream";
import { DELIVERY_STREAM } from "../delivery/records.js";
import type { JetStreamNames } from "./settings.js";
import {
  DELIVERY_CONSUMER_DEFAULTS,
  EVENT_CONSUMER_DEFAULTS,
  deliveryConsumerConfig,
  ensureEventStream,
  ensureHookswitchStreams,
  ensurePullConsumer,
  eventConsumerConfig,
} from "./streams.js";

export async function ensureJetStream(
  jsm: JetStreamManager,
  names: JetStreamNames,
  ackWaitMs: number,
): Promise<void> {
  const stream = await ensureEventStream(jsm, {
    name: names.stream,
    subjects: names.subjects,
    create: names.createStream,
    replicas: names.replicas,
  });
  await ensureHookswitchStreams(jsm, { replicas: names.replicas });
  await ensurePullConsumer(
    jsm,
    names.stream,
    eventConsumerConfig(stream.info, {
      durable: names.consumer,
      deliver: names.deliver,
      subjects: names.subjects,
      ...EVENT_CONSUMER_DEFAULTS,
      ackWaitMs,
    }),
  );
  await ensurePullConsumer(
    jsm,
    DELIVERY_STREAM,
    deliveryConsumerConfig({ consumer: names.consumer, ...DELIVERY_CONSUMER_DEFAULTS, ackWaitMs }),
  );
}
