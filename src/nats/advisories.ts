/**
 * Watches the server's MAX_DELIVERIES advisories for hookswitch's event consumer. A
 * message that reached the consumer's max_deliver is never redelivered; rather than let
 * it vanish, it is copied to the dead-letter queue with the reason. Every replica sees
 * the advisory; the message id makes the copy happen once.
 */
import type { JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { unroutedDeadLetter, type DeadLetterRecord } from "../delivery/records.js";

export interface MaxDeliveriesOptions {
  stream: string;
  consumer: string;
  deadLetter: (record: DeadLetterRecord, msgId: string) => Promise<unknown>;
  log: Logger;
}

interface MaxDeliveriesAdvisory {
  stream_seq: number;
  deliveries: number;
}

export function watchMaxDeliveries(
  nc: NatsConnection,
  jsm: JetStreamManager,
  options: MaxDeliveriesOptions,
): { stop(): void } {
  const { stream, consumer, log } = options;
  const sub = nc.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${stream}.${consumer}`);
  void (async () => {
    for await (const msg of sub) {
      try {
        const advisory = msg.json<MaxDeliveriesAdvisory>();
        await rescue(jsm, options, advisory);
      } catch (err) {
        log.error(
          { err, stream, consumer },
          "could not dead-letter a message that ran out of deliveries",
        );
      }
    }
  })();
  return { stop: () => sub.unsubscribe() };
}

async function rescue(
  jsm: JetStreamManager,
  options: MaxDeliveriesOptions,
  advisory: MaxDeliveriesAdvisory,
): Promise<void> {
  const { stream, log } = options;
  const stored = await jsm.streams.getMessage(stream, { seq: advisory.stream_seq });
  if (!stored) return;
  const reason =
    `gave up after ${advisory.deliveries} deliveries of stream message ${advisory.stream_seq}: ` +
    `hookswitch could not record its deliveries (see the logs); \`hookswitch dlq replay\` publishes the event again`;
  log.error({ stream, seq: advisory.stream_seq, deliveries: advisory.deliveries }, reason);
  await options.deadLetter(
    unroutedDeadLetter({ reason, event: parseOrText(stored.string()), subject: stored.subject }),
    `maxdeliver:${stream}:${advisory.stream_seq}`,
  );
}

function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
