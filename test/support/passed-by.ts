/**
 * The nats-server fault of nats/passed-by.ts, made on the deliveries stream: three records
 * of one retry subject handed out by the delivery consumer, the newest and then the oldest
 * acknowledged, and the consumer deleted, for hookswitch to create again. A server older
 * than 2.10.27 then passes the record left between them by.
 */
import type { JetStreamManager } from "@nats-io/jetstream";
import {
  deliveryConsumerConfig,
  deliveryConsumerName,
  DELIVERY_CONSUMER_DEFAULTS,
} from "../../src/nats/durable-consumers.js";
import { DELIVERY_STREAM, deliverySubject } from "../../src/nats/layout.js";
import { ensureHookswitchStreams } from "../../src/nats/streams.js";

/** Creates the deployment's delivery consumer as hookswitch sets it, and a reader of it. */
export async function addDeliveryConsumer(jsm: JetStreamManager, consumer: string) {
  const config = deliveryConsumerConfig({ consumer, ...DELIVERY_CONSUMER_DEFAULTS });
  await jsm.consumers.add(DELIVERY_STREAM, config);
  return jsm.jetstream().consumers.get(DELIVERY_STREAM, config.durable_name);
}

/** Leaves `record` as the one stored record of `integration`'s retries, and no consumer. */
export async function leaveOneRetryBehind(
  jsm: JetStreamManager,
  consumer: string,
  integration: string,
  record: string,
): Promise<void> {
  await ensureHookswitchStreams(jsm);
  const js = jsm.jetstream();
  const subject = deliverySubject(consumer, integration);
  await js.publish(subject, "oldest");
  await js.publish(subject, record);
  await js.publish(subject, "newest");
  const reader = await addDeliveryConsumer(jsm, consumer);
  const read = [];
  for await (const msg of await reader.fetch({ max_messages: 3, expires: 2_000 })) read.push(msg);
  if (read.length !== 3) throw new Error(`read ${read.length} of the 3 records`);
  await read[2]?.ackAck();
  await read[0]?.ackAck();
  await jsm.consumers.delete(DELIVERY_STREAM, deliveryConsumerName(consumer));
}
