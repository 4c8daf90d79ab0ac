/**
 * What each NATS message is handed to: the event consumer and the deliveries consumer, each
 * in a consumer loop, and the readers of parked deliveries, all sharing one dispatcher and
 * one durable queue. Started once JetStream is set up; the daemon stops them first.
 */
import type {
  Consumer,
  ConsumerMessages,
  JetStreamClient,
  JetStreamManager,
  JsMsg,
} from "@nats-io/jetstream";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import type { DeadLetterStore } from "../delivery/dead-letters.js";
import { Dispatcher } from "../delivery/dispatcher.js";
import { createDurableQueue } from "../delivery/durable-queue.js";
import { handleEventMessage, type HandlerDeps } from "../delivery/event-handler.js";
import type { InvalidEventLog } from "../delivery/invalid-log.js";
import type { DeadLetterLog } from "../delivery/dead-letter-log.js";
import type { FailureLog } from "../delivery/failure-log.js";
import type { SkipLog } from "../delivery/skip-log.js";
import type { Limiter } from "../delivery/concurrency/limiter.js";
import { handleDeliveryMessage } from "../delivery/delivery-handler.js";
import { DELIVERY_STREAM, NOT_BEFORE_HEADER } from "../delivery/records.js";
import type { RequestSlots } from "../delivery/concurrency/request-slots.js";
import type { Intake } from "../delivery/concurrency/intake.js";
import type { Sender } from "../delivery/send.js";
import type { ConfigSnapshot } from "../delivery/snapshot.js";
import type { DeliveryStats } from "../delivery/stats.js";
import type { Metrics } from "../http/metrics.js";
import { pullContinuously, startConsumerLoop } from "../nats/consumer-loop.js";
import type { PullSize } from "../nats/pull-size.js";
import { startRestartingLoop, type RestartingLoop } from "../nats/restarting-loop.js";
import type { Settle } from "../nats/settle.js";
import type { JetStreamKeeper } from "../nats/keeper.js";
import type { NatsLink } from "../nats/connection.js";
import { LargeMessageWatch } from "../nats/large-messages.js";
import { createParkedReaders, type ParkedReaders } from "../nats/parked-readers.js";
import type { JetStreamNames } from "../nats/settings.js";
import type { StoredPublisher } from "../nats/stored-publish.js";
import type { StoreFailureLog } from "../nats/store-failure-log.js";
import { deliveryConsumerName, parkedConsumerName } from "../nats/durable-consumers.js";
import { headersOnlyHandBack, isHeadersOnly } from "../nats/headers-only.js";
import { OneAtATime } from "../delivery/oversized.js";

/** Room assumed for the parked deliveries of an integration no longer loaded: they are skipped. */
const UNLOADED_ROOM = 64;
/** How often a parked reader looks again for room at the request slots. */
const REQUEST_ROOM_POLL_MS = 250;

export interface ConsumerDeps {
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
  const { js, names, ackWaitMs, intake, log } = deps;
  const queue = createDurableQueue({
    publisher: deps.publisher,
    deadLetters: deps.deadLetters,
    consumer: names.consumer,
    onDeadLetter: deps.onDeadLetter,
    // Called only once messages are handled, after `parked` below exists.
    onParked: (integration) => parked.read(integration),
    onStreamMissing: (stream) => deps.keeper.lost(`stream ${stream} not found`),
    onStoreFailed: (stream) => deps.metrics.storeFailures.inc({ stream }),
  });
  const dispatcher = new Dispatcher({
    sender: deps.sender,
    requests: deps.requests,
    limiter: deps.limiter,
    queue,
    stats: deps.stats,
    metrics: deps.metrics,
    log,
    deadLetterLog: deps.deadLetterLog,
    failureLog: deps.failureLog,
    signal: deps.signal,
  });
  const { pull } = deps;
  const deliveryConsumer = deliveryConsumerName(names.consumer);
  // Only pulls bounded by count can bring more bytes at once than the server lets queue.
  const largeWatch = (stream: string, consumer: string) =>
    "messages" in pull
      ? new LargeMessageWatch({ stream, batch: pull.messages }, (message, bytes) =>
          log.warn({ consumer, bytes }, message),
        )
      : undefined;
  const largeRecords = largeWatch(DELIVERY_STREAM, deliveryConsumer);
  const headersOnly = headersOnlyHandBack(log);
  const handlers: HandlerDeps = {
    snapshot: deps.snapshot,
    dispatcher,
    limiter: deps.limiter,
    queue,
    stats: deps.stats,
    metrics: deps.metrics,
    log,
    invalidEvents: deps.invalidEvents,
    skipLog: deps.skipLog,
    largeEvents: largeWatch(names.stream, names.consumer),
    headersOnly,
    oversized: { maxEventBytes: deps.maxEventBytes, lane: new OneAtATime() },
  };
  const handleDelivery = (msg: JsMsg) => {
    const { data } = msg;
    if (isHeadersOnly(data, msg)) {
      return Promise.resolve(headersOnly(msg.info.consumer, msg.seq));
    }
    largeRecords?.check(data.byteLength);
    return handleDeliveryMessage(handlers, {
      data,
      subject: msg.subject,
      notBefore: msg.headers?.get(NOT_BEFORE_HEADER) || undefined,
      // A getter: reading it parses the reply subject, and only a record whose integration
      // is not loaded needs it. Typed a bigint, and a number at run time: Number() reads both.
      get storedAtMs() {
        return Number(msg.info.timestampNanos) / 1e6;
      },
    });
  };
  const parked: ParkedReaders = createParkedReaders({
    js,
    jsm: deps.jsm,
    consumer: names.consumer,
    ackWaitMs,
    room: (integration) => {
      const free = deps.limiter.whenRoom(
        integration,
        deps.snapshot().byName.get(integration)?.integration.webhook.maxInFlight ?? UNLOADED_ROOM,
      );
      // Requests of large events can fill the slots' bytes long before the integration's
      // maxInFlight: a parked delivery read then would wait a second and only be handed back.
      if (
        typeof free !== "number" ||
        deps.requests.hasBytesFor(integration, deps.parkedMessageBytes)
      ) {
        return free;
      }
      return sleep(REQUEST_ROOM_POLL_MS, undefined, { ref: false });
    },
    places: () => intake.size - intake.taken,
    messageBytes: deps.parkedMessageBytes,
    run: (integration, messages) =>
      startConsumerLoop({
        name: parkedConsumerName(names.consumer, integration),
        messages,
        handle: handleDelivery,
        slots: intake,
        ackWaitMs,
        log,
        storeFailures: deps.storeFailures,
        link: deps.link,
        grace: deps.signal,
        givenUp: deps.givenUp,
      }),
    log,
  });
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
  const mainLoop = (
    where: { stream: string; consumer: string },
    consumer: Consumer,
    first: ConsumerMessages,
    handle: (msg: JsMsg) => Promise<Settle>,
  ) =>
    startRestartingLoop({
      name: where.consumer,
      first,
      open: () => pullContinuously(consumer, pull),
      run: (messages, hooks) => {
        deps.keeper.watch(messages, where);
        return startConsumerLoop({
          name: where.consumer,
          messages,
          handle,
          slots: intake,
          ackWaitMs,
          log,
          storeFailures: deps.storeFailures,
          link: deps.link,
          grace: deps.signal,
          givenUp: deps.givenUp,
          ...hooks,
        });
      },
      stopping: deps.stopping,
      log,
    });
  const loops = [
    mainLoop({ stream: names.stream, consumer: names.consumer }, events, eventMessages, (msg) =>
      handleEventMessage(handlers, msg),
    ),
    mainLoop(
      { stream: DELIVERY_STREAM, consumer: deliveryConsumer },
      deliveries,
      deliveryMessages,
      handleDelivery,
    ),
  ];
  return { loops, parked };
}
