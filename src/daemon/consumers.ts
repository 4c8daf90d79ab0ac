/**
 * Opens the event consumer and the deliveries consumer and keeps each in a loop that reads
 * again when its iterator ends unasked. What their messages are handed to, and the readers
 * of parked deliveries, come from consumer-handlers.ts. Started once JetStream is set up;
 * the daemon stops them first.
 */
import type {
  Consumer,
  ConsumerMessages,
  JetStreamClient,
  JetStreamManager,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import type { DeadLetterStore } from "../delivery/dead-letters.js";
import type { InvalidEventLog } from "../delivery/invalid-log.js";
import type { DeadLetterLog } from "../delivery/dead-letter-log.js";
import type { FailureLog } from "../delivery/failure-log.js";
import type { SkipLog } from "../delivery/skip-log.js";
import type { Limiter } from "../delivery/concurrency/limiter.js";
import { DELIVERY_STREAM } from "../nats/layout.js";
import type { RequestSlots } from "../delivery/concurrency/request-slots.js";
import type { Intake } from "../delivery/concurrency/intake.js";
import type { Sender } from "../delivery/send.js";
import type { ConfigSnapshot } from "../delivery/snapshot.js";
import type { DeliveryStats } from "../delivery/stats.js";
import type { Metrics } from "../http/metrics.js";
import { pullContinuously, startConsumerLoop } from "../nats/consumer-loop.js";
import type { PullSize } from "../nats/pull-size.js";
import { startRestartingLoop, type RestartingLoop } from "../nats/restarting-loop.js";
import type { JetStreamKeeper } from "../nats/keeper.js";
import type { NatsLink } from "../nats/connection.js";
import type { ParkedReaders } from "../nats/parked-readers.js";
import type { JetStreamNames } from "../nats/settings.js";
import type { StoredPublisher } from "../nats/stored-publish.js";
import type { StoreFailureLog } from "../nats/store-failure-log.js";
import { deliveryConsumerName } from "../nats/durable-consumers.js";
import { createConsumerHandlers, sharedLoopOptions, type Handle } from "./consumer-handlers.js";

export interface ConsumerDeps {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  publisher: StoredPublisher;
  deadLetters: DeadLetterStore;
  names: JetStreamNames;
  ackWaitMs: number;
  /** How much the event and delivery loops ask NATS for at once. */
  pull: PullSize;
  /** `--max-event-size`: larger events are dead-lettered, one at a time. */
  maxEventBytes: number;
  /** `--require-subject-match`: an event on a subject naming another tenant is dead-lettered. */
  requireSubjectMatch: boolean;
  /** The most a parked delivery weighs: it bounds the parked readers' fetches together. */
  parkedMessageBytes: number;
  /** Messages in progress (intake waits) and requests in flight: both --max-in-flight. */
  intake: Intake;
  requests: RequestSlots;
  sender: Sender;
  limiter: Limiter;
  stats: DeliveryStats;
  metrics: Metrics;
  log: Logger;
  /** The daemon's, for as long as it runs: its counts outlast a set-up done again. */
  invalidEvents: InvalidEventLog;
  deadLetterLog: DeadLetterLog;
  skipLog: SkipLog;
  storeFailures: StoreFailureLog;
  /** The daemon's too: a failing receiver's warnings keep their pace across a set-up again. */
  failureLog: FailureLog;
  /** Aborted when shutdown's grace period ends. */
  signal: AbortSignal;
  /** Aborted when shutdown gives up waiting for the consumers (NATS down past the grace). */
  givenUp: AbortSignal;
  snapshot: () => ConfigSnapshot;
  keeper: JetStreamKeeper;
  /** True once a stop has begun: a loop that ends then is not started again. */
  stopping: () => boolean;
  /** The NATS connection: while it is down, the loops start nothing and hold their acks. */
  link: NatsLink;
  /** A dead letter was added (the daemon keeps the count between its reads of the queue). */
  onDeadLetter: () => void;
}

export interface Consumers {
  /** The event and delivery loops, each read again when its iterator ends unasked. */
  loops: RestartingLoop[];
  parked: ParkedReaders;
}

export async function startConsumers(deps: ConsumerDeps): Promise<Consumers> {
  const { handleEvent, handleDelivery, parked } = createConsumerHandlers(deps);
  const { events, deliveries } = await openMainConsumers(deps);
  const loops = [
    startMainLoop(deps, events, handleEvent),
    startMainLoop(deps, deliveries, handleDelivery),
  ];
  return { loops, parked };
}

/** The event or the delivery consumer, with its first iterator open. */
interface MainConsumer {
  where: { stream: string; consumer: string };
  consumer: Consumer;
  first: ConsumerMessages;
}

async function openMainConsumers({
  js,
  names,
  pull,
}: ConsumerDeps): Promise<{ events: MainConsumer; deliveries: MainConsumer }> {
  const deliveryConsumer = deliveryConsumerName(names.consumer);
  const events = await js.consumers.get(names.stream, names.consumer);
  const deliveries = await js.consumers.get(DELIVERY_STREAM, deliveryConsumer);
  // Both iterators open before anything watches or reads them: a failure between leaves
  // no loop running and no watch behind.
  const eventMessages = await pullContinuously(events, pull);
  let deliveryMessages: ConsumerMessages;
  try {
    deliveryMessages = await pullContinuously(deliveries, pull);
  } catch (error) {
    // Unsubscribes at once; awaited, it would wait for a read of the iterator, never made.
    void eventMessages.close();
    throw error;
  }
  return {
    events: {
      where: { stream: names.stream, consumer: names.consumer },
      consumer: events,
      first: eventMessages,
    },
    deliveries: {
      where: { stream: DELIVERY_STREAM, consumer: deliveryConsumer },
      consumer: deliveries,
      first: deliveryMessages,
    },
  };
}

function startMainLoop(
  deps: ConsumerDeps,
  { where, consumer, first }: MainConsumer,
  handle: Handle,
): RestartingLoop {
  const { pull } = deps;
  return startRestartingLoop({
    name: where.consumer,
    first,
    open: () => pullContinuously(consumer, pull),
    run: (messages, hooks) => {
      deps.keeper.watch(messages, where);
      return startConsumerLoop({
        name: where.consumer,
        messages,
        handle,
        ...sharedLoopOptions(deps),
        ...hooks,
        stalePulls: { nc: deps.nc, ...where },
      });
    },
    stopping: deps.stopping,
    log: deps.log,
  });
}
