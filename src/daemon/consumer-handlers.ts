/**
 * What the consumers hand their messages to: the event handler and the delivery handler, and
 * the readers of parked deliveries, all sharing one dispatcher and one durable queue.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { JsMsg } from "@nats-io/jetstream";
import { Dispatcher } from "../delivery/dispatcher.js";
import { createDurableQueue } from "../delivery/durable-queue.js";
import { handleEventMessage, type HandlerDeps } from "../delivery/event-handler.js";
import type { DurableQueue } from "../delivery/job.js";
import { handleDeliveryMessage } from "../delivery/delivery-handler.js";
import { DELIVERY_STREAM, NOT_BEFORE_HEADER } from "../nats/layout.js";
import { OneAtATime } from "../delivery/oversized.js";
import { startConsumerLoop, type ConsumerLoopOptions } from "../nats/consumer-loop.js";
import type { Settle } from "../nats/settle.js";
import { LargeMessageWatch } from "../nats/large-messages.js";
import { createParkedReaders, type ParkedReaders } from "../nats/parked-readers.js";
import { deliveryConsumerName, parkedConsumerName } from "../nats/durable-consumers.js";
import { headersOnlyHandBack, isHeadersOnly, storedWithBody } from "../nats/headers-only.js";
import type { ConsumerDeps } from "./consumers.js";

/** Room assumed for the parked deliveries of an integration no longer loaded: they are skipped. */
const UNLOADED_ROOM = 64;
/** How often a parked reader looks again for room at the request slots. */
const REQUEST_ROOM_POLL_MS = 250;

export type Handle = (msg: JsMsg) => Promise<Settle>;

export interface ConsumerHandlers {
  handleEvent: Handle;
  /** For the delivery consumer and the parked readers alike. */
  handleDelivery: Handle;
  parked: ParkedReaders;
}

/** One durable queue and one dispatcher behind the handlers of every consumer. */
export function createConsumerHandlers(deps: ConsumerDeps): ConsumerHandlers {
  const queue = createDurableQueue({
    publisher: deps.publisher,
    deadLetters: deps.deadLetters,
    consumer: deps.names.consumer,
    onDeadLetter: deps.onDeadLetter,
    // Called only once messages are handled, after `parked` below exists.
    onParked: (integration) => parked.read(integration),
    onStreamMissing: (stream) => deps.keeper.lost(`stream ${stream} not found`),
    onStoreFailed: (stream) => deps.metrics.storeFailures.inc({ stream }),
  });
  const dispatcher = createDispatcher(deps, queue);
  const deliveryConsumer = deliveryConsumerName(deps.names.consumer);
  const largeRecords = largeMessageWatch(deps, DELIVERY_STREAM, deliveryConsumer);
  const headersOnly = headersOnlyHandBack(deps.log);
  const shared = buildHandlerDeps(deps, { dispatcher, queue, headersOnly });
  const handleDelivery = deliveryHandler(shared, headersOnly, largeRecords);
  const parked = createParked(deps, handleDelivery);
  return { handleEvent: (msg) => handleEventMessage(shared, msg), handleDelivery, parked };
}

function createDispatcher(deps: ConsumerDeps, queue: DurableQueue): Dispatcher {
  return new Dispatcher({
    sender: deps.sender,
    requests: deps.requests,
    limiter: deps.limiter,
    queue,
    stats: deps.stats,
    metrics: deps.metrics,
    log: deps.log,
    deadLetterLog: deps.deadLetterLog,
    failureLog: deps.failureLog,
    signal: deps.signal,
    integrationNow: (name) => deps.snapshot().byName.get(name)?.integration,
  });
}

function largeMessageWatch(
  { pull, log }: ConsumerDeps,
  stream: string,
  consumer: string,
): LargeMessageWatch | undefined {
  // Only pulls bounded by count can bring more bytes at once than the server lets queue.
  return "messages" in pull
    ? new LargeMessageWatch({ stream, batch: pull.messages }, (message, bytes) =>
        log.warn({ consumer, bytes }, message),
      )
    : undefined;
}

function buildHandlerDeps(
  deps: ConsumerDeps,
  shared: Pick<HandlerDeps, "dispatcher" | "queue" | "headersOnly">,
): HandlerDeps {
  const { names } = deps;
  return {
    snapshot: deps.snapshot,
    dispatcher: shared.dispatcher,
    limiter: deps.limiter,
    queue: shared.queue,
    stats: deps.stats,
    metrics: deps.metrics,
    log: deps.log,
    invalidEvents: deps.invalidEvents,
    skipLog: deps.skipLog,
    largeEvents: largeMessageWatch(deps, names.stream, names.consumer),
    headersOnly: shared.headersOnly,
    storedWithBody: storedWithBody(deps.jsm),
    oversized: { maxEventBytes: deps.maxEventBytes, lane: new OneAtATime() },
    requireSubjectMatch: deps.requireSubjectMatch,
  };
}

function deliveryHandler(
  handlers: HandlerDeps,
  headersOnly: (consumer: string, seq: number) => Settle,
  largeRecords: LargeMessageWatch | undefined,
): Handle {
  return (msg) => {
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
}

function createParked(deps: ConsumerDeps, handleDelivery: Handle): ParkedReaders {
  const { names, intake } = deps;
  return createParkedReaders({
    js: deps.js,
    jsm: deps.jsm,
    consumer: names.consumer,
    ackWaitMs: deps.ackWaitMs,
    // Read at each set-up, as these readers are made: a reconnection may reach another server.
    serverVersion: deps.nc.info?.version,
    room: (integration) => parkedRoom(deps, integration),
    places: () => intake.size - intake.taken,
    messageBytes: deps.parkedMessageBytes,
    run: (integration, messages) => {
      const name = parkedConsumerName(names.consumer, integration);
      return startConsumerLoop({
        name,
        messages,
        handle: handleDelivery,
        ...sharedLoopOptions(deps),
        stalePulls: { nc: deps.nc, stream: DELIVERY_STREAM, consumer: name },
      });
    },
    log: deps.log,
  });
}

/** The integration's free slots for its parked deliveries now, or a Promise of room. */
function parkedRoom(deps: ConsumerDeps, integration: string): number | Promise<void> {
  const free = deps.limiter.whenRoom(
    integration,
    deps.snapshot().byName.get(integration)?.integration.webhook.maxInFlight ?? UNLOADED_ROOM,
  );
  // Requests of large events can fill the slots' bytes long before the integration's
  // maxInFlight: a parked delivery read then would wait a second and only be handed back.
  if (typeof free !== "number" || deps.requests.hasBytesFor(integration, deps.parkedMessageBytes)) {
    return free;
  }
  return sleep(REQUEST_ROOM_POLL_MS, undefined, { ref: false });
}

type SharedLoopOptions = Pick<
  ConsumerLoopOptions,
  "slots" | "ackWaitMs" | "log" | "storeFailures" | "link" | "grace" | "givenUp"
>;

/** What the loops of the main and parked consumers alike run with. */
export function sharedLoopOptions(deps: ConsumerDeps): SharedLoopOptions {
  return {
    slots: deps.intake,
    ackWaitMs: deps.ackWaitMs,
    log: deps.log,
    storeFailures: deps.storeFailures,
    link: deps.link,
    grace: deps.signal,
    givenUp: deps.givenUp,
  };
}
