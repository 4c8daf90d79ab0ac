/**
 * Parked deliveries on a real nats-server, for the parked readers' tests: records parked
 * for an integration, readers whose loops run a given handler, and the pull requests they
 * make, read as they pass.
 */
import type { JetStreamClient, JetStreamManager, JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { pino } from "pino";
import {
  startConsumerLoop,
  type ConsumerLoopOptions,
  type Slots,
} from "../../src/nats/consumer-loop.js";
import { parkedConsumerName } from "../../src/nats/durable-consumers.js";
import { DELIVERY_STREAM, parkedSubject } from "../../src/nats/layout.js";
import {
  createParkedReaders,
  type ParkedReaders,
  type ParkedReadersOptions,
} from "../../src/nats/parked-readers.js";
import type { Settle } from "../../src/nats/settle.js";
import { natsServerVersion } from "./nats-server.js";

/** The global cap, unbounded. */
export const unlimitedSlots: Slots = { acquire: () => undefined, release: () => undefined };

const silent = pino({ level: "silent" });

export interface TestReadersOptions extends Pick<
  ParkedReadersOptions,
  "jsm" | "consumer" | "room" | "places" | "messageBytes"
> {
  /** The nats-server's version as the readers are told it; by default the tests' server's. */
  serverVersion?: string | undefined;
  handle: (msg: JsMsg) => Promise<Settle>;
  slots?: Slots;
  ackWaitMs?: number;
  /** More for each integration's loop: its log, the NATS link, the grace period. */
  loop?: Pick<Partial<ConsumerLoopOptions>, "log" | "link" | "grace">;
}

/** Parked readers whose loops run `handle` on each record read. */
export function testParkedReaders(options: TestReadersOptions): ParkedReaders {
  const { jsm, handle, slots = unlimitedSlots, ackWaitMs = 30_000, loop = {} } = options;
  return createParkedReaders({
    js: jsm.jetstream(),
    jsm,
    consumer: options.consumer,
    ackWaitMs,
    serverVersion: "serverVersion" in options ? options.serverVersion : natsServerVersion(),
    room: options.room,
    places: options.places,
    messageBytes: options.messageBytes,
    run: (integration, messages) =>
      startConsumerLoop({
        name: integration,
        messages,
        handle,
        slots,
        ackWaitMs,
        log: silent,
        ...loop,
      }),
    log: silent,
  });
}

/** Parks `records` for `integration` of deployment `consumer`, one message each. */
export async function park(
  js: JetStreamClient,
  consumer: string,
  integration: string,
  records: string[],
): Promise<void> {
  for (const record of records) await js.publish(parkedSubject(consumer, integration), record);
}

/**
 * The batch of every pull request made for these integrations' parked deliveries: pull
 * requests are messages on the JetStream API subject, read here as they pass.
 */
export function pullBatches(nc: NatsConnection, consumer: string, integrations: string[]) {
  const batches: number[] = [];
  const watched = new Set(
    integrations.map(
      (integration) =>
        `$JS.API.CONSUMER.MSG.NEXT.${DELIVERY_STREAM}.${parkedConsumerName(consumer, integration)}`,
    ),
  );
  const watch = nc.subscribe(`$JS.API.CONSUMER.MSG.NEXT.${DELIVERY_STREAM}.*`, {
    callback: (_err, msg) => {
      if (watched.has(msg.subject)) batches.push(msg.json<{ batch: number }>().batch);
    },
  });
  return { batches, watch };
}

/** The consumers on the deliveries stream, by name. */
export async function deliveryConsumerNames(jsm: JetStreamManager): Promise<string[]> {
  const names: string[] = [];
  for await (const info of jsm.consumers.list(DELIVERY_STREAM)) names.push(info.name);
  return names;
}
