/**
 * `hookswitch run` as an object: live configuration, the NATS consumers, the delivery
 * engine and the operations endpoints, started in order and stopped as one ladder.
 * No side effects on import; tests and the CLI create it with settings.
 */
import { jetstream, jetstreamManager, type JetStreamClient, type JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { folderProblem, waitForFolder } from "./config/folder-presence.js";
import { plural } from "./config/text.js";
import { createConfigWatcher, type ConfigWatcher } from "./config/watch.js";
import type { ConfigState } from "./config/generation.js";
import { ConfigError } from "./errors.js";
import { createDeadLetterStore, type DeadLetterStore } from "./delivery/dead-letters.js";
import { Dispatcher } from "./delivery/dispatcher.js";
import { createDurableQueue } from "./delivery/durable-queue.js";
import { createEgressPolicy, type Cidr } from "./delivery/egress.js";
import { handleEventMessage, type HandlerDeps } from "./delivery/handlers.js";
import { handleDeliveryMessage } from "./delivery/record-handler.js";
import { createLimiter } from "./delivery/limiter.js";
import { Semaphore } from "./delivery/semaphore.js";
import { createSender, type Sender } from "./delivery/send.js";
import { buildSnapshot, type ConfigSnapshot } from "./delivery/snapshot.js";
import { DeliveryStats } from "./delivery/stats.js";
import { createMetrics, recordConfigGeneration } from "./http/metrics.js";
import { startHttpServer, type HttpServer } from "./http/server.js";
import { buildStatusView } from "./http/status.js";
import { watchMaxDeliveries } from "./nats/advisories.js";
import { connectNats, watchConnection, type ConnectionWatch } from "./nats/connection.js";
import { pullContinuously, startConsumerLoop, type ConsumerLoop } from "./nats/consumer-loop.js";
import { createParkedReaders, type ParkedReaders } from "./nats/parked-readers.js";
import { createJetStreamKeeper, type JetStreamKeeper } from "./nats/keeper.js";
import { isMissingResource } from "./nats/recovery.js";
import type { NatsSettings } from "./nats/settings.js";
import { closeNats, HAND_BACK_WAIT_MS, shutdownStep } from "./shutdown.js";
import { VERSION } from "./version.js";
import { createStoredPublisher, type StoredPublisher } from "./nats/stored-publish.js";
import { deliveryConsumerName, parkedConsumerName } from "./nats/streams.js";
import { DELIVERY_STREAM, NOT_BEFORE_HEADER } from "./delivery/records.js";

export interface DaemonSettings {
  dir: string;
  strict: boolean;
  httpAddr: string;
  nats: NatsSettings & { jetstream: NonNullable<NatsSettings["jetstream"]> };
  egress: { deny: Cidr[]; allow: Cidr[] };
  /** Global cap on concurrent HTTP attempts. */
  maxInFlight: number;
  /** How long a stop waits for in-flight deliveries before handing them back. */
  graceMs: number;
  /** NATS ack wait: how soon a crashed replica's unfinished messages are redelivered. */
  ackWaitMs: number;
  resyncIntervalMs: number;
}

export interface Daemon {
  /** Loads the configuration, serves HTTP, connects to NATS (waiting while it is down) and consumes. */
  start(): Promise<void>;
  /** The shutdown ladder. Safe to call more than once. */
  stop(): Promise<void>;
  resync(): Promise<void>;
  httpAddress(): string | undefined;
}

const DEAD_LETTER_COUNT_INTERVAL_MS = 15_000;
/** How often to look for deliveries parked by other replicas (or before a restart). */
const PARKED_DISCOVERY_INTERVAL_MS = 10_000;
/** Room assumed for the parked deliveries of an integration no longer loaded: they are skipped. */
const UNLOADED_ROOM = 64;

export function createDaemon(settings: DaemonSettings, log: Logger): Daemon {
  // --max-in-flight caps both the messages in progress (intake waits) and the requests in
  // flight (an event matching several integrations starts several).
  const intake = new Semaphore(settings.maxInFlight, "--max-in-flight");
  const requests = new Semaphore(settings.maxInFlight, "--max-in-flight");
  const stats = new DeliveryStats();
  const metrics = createMetrics({
    requestsInFlight: () => requests.taken,
    isNatsConnected: () => connection?.isConnected() ?? false,
    isReady: () => notReadyReason() === undefined,
    deliveryCounts: () => stats.countsWith(snapshot.byName.keys()),
  });
  // Aborts every attempt in flight when shutdown's grace period ends.
  const abort = new AbortController();
  // One origin may take as many connections as the global cap allows requests.
  const sender: Sender = createSender({
    egress: createEgressPolicy(settings.egress),
    connections: Math.max(32, settings.maxInFlight),
  });
  const limiter = createLimiter();
  let config: ConfigState | undefined;
  let snapshot: ConfigSnapshot = buildSnapshot([]);
  let watcher: ConfigWatcher | undefined;
  let http: HttpServer | undefined;
  let nc: NatsConnection | undefined;
  let connection: ConnectionWatch | undefined;
  let deadLetters: DeadLetterStore | undefined;
  let deadLetterCount: number | null = null;
  let deadLetterTimer: NodeJS.Timeout | undefined;
  const loops: ConsumerLoop[] = [];
  let parked: ParkedReaders | undefined;
  let parkedTimer: NodeJS.Timeout | undefined;
  let consuming = false;
  let advisories: { stop(): void } | undefined;
  // The JetStream set-up: retried at start, run again when a stream or consumer is lost.
  let keeper: JetStreamKeeper | undefined;
  let stopping: Promise<void> | undefined;
  let folderMissing: string | undefined;

  const applyConfig = (state: ConfigState) => {
    config = state;
    snapshot = buildSnapshot(state.integrations);
    recordConfigGeneration(metrics, state);
  };

  const notReadyReason = () => {
    if (stopping) return "stopping";
    if (folderMissing) return folderMissing;
    if (!config) return "configuration not loaded yet";
    if (!connection?.isConnected()) return "not connected to NATS";
    if (!consuming) return "consumers not started yet";
    return keeper?.reason();
  };

  const refreshDeadLetterCount = async () => {
    if (!deadLetters) return;
    try {
      deadLetterCount = await deadLetters.count();
      metrics.deadLetters.set(deadLetterCount);
    } catch {
      // NATS unavailable: keep the last known count.
    }
  };

  return {
    httpAddress: () => http?.address,
    resync: async () => watcher?.resync(),

    async start() {
      // Up first, so that probes see why the daemon is not ready while it waits.
      http = await startHttpServer(
        {
          registry: metrics.registry,
          notReadyReason,
          status: () =>
            buildStatusView({
              generation: config?.generation ?? 0,
              integrations: config?.integrations ?? [],
              problems: config?.problems ?? [],
              stats,
              deadLetters: deadLetterCount,
              ready: notReadyReason() === undefined,
            }),
        },
        settings.httpAddr,
      );
      log.info({ address: http.address }, "http endpoints listening");
      if (!(await folderThere())) return;
      watcher = createConfigWatcher({
        dir: settings.dir,
        load: { secrets: "resolve" },
        resyncIntervalMs: settings.resyncIntervalMs,
        log,
        onGeneration: (state) => applyConfig(state),
      });
      applyConfig(await watcher.start());
      if (settings.strict && config && config.problems.length > 0) {
        await watcher.close();
        throw new ConfigError(
          `${config.problems.length} problem(s) in ${settings.dir} and --strict is set: fix them or drop --strict`,
        );
      }

      nc = await connectNats(settings.nats, { name: "hookswitch", log, waitOnFirstConnect: true });
      if (stopping) return;
      connection = watchConnection(nc, log);
      const js = jetstream(nc);
      const jsm = await jetstreamManager(nc);
      // A closure over the `let` would not keep its narrowing to this connection.
      const server = nc;
      deadLetters = createDeadLetterStore(js, jsm, {
        maxPayload: () => server.info?.max_payload ?? 1024 * 1024,
      });
      keeper = createJetStreamKeeper({
        jsm,
        names: settings.nats.jetstream,
        ackWaitMs: settings.ackWaitMs,
        log,
      });
      if (stopping) keeper.stop(); // a stop came while connecting: no set-up retries
      const publisher = createStoredPublisher(nc);
      await keeper.start(() => startConsumers(js, jsm, publisher));
      if (stopping) return;
      advisories = watchMaxDeliveries(nc, jsm, {
        stream: settings.nats.jetstream.stream,
        consumer: settings.nats.jetstream.consumer,
        deadLetter: (record, msgId) => deadLetters!.add(record, { msgId }),
        log,
      });
      consuming = true;
      await lookForParked();
      parkedTimer = setInterval(() => void lookForParked(), PARKED_DISCOVERY_INTERVAL_MS);
      parkedTimer.unref();
      await refreshDeadLetterCount();
      deadLetterTimer = setInterval(
        () => void refreshDeadLetterCount(),
        DEAD_LETTER_COUNT_INTERVAL_MS,
      );
      deadLetterTimer.unref();
      log.info(
        {
          version: VERSION,
          dir: settings.dir,
          stream: settings.nats.jetstream.stream,
          consumer: settings.nats.jetstream.consumer,
          integrations: snapshot.byName.size,
        },
        `hookswitch ${VERSION} is running: ${plural(snapshot.byName.size, "integration")} from ${settings.dir}`,
      );
    },

    stop() {
      stopping ??= (async () => {
        consuming = false;
        keeper?.stop();
        clearInterval(deadLetterTimer);
        clearInterval(parkedTimer);
        const graceTimer = setTimeout(() => abort.abort(), settings.graceMs);
        await shutdownStep(
          log,
          "finish or hand back the deliveries in flight",
          () => Promise.all([...loops.map((loop) => loop.stop()), parked?.stop()]),
          settings.graceMs + HAND_BACK_WAIT_MS,
        );
        clearTimeout(graceTimer);
        await shutdownStep(log, "stop watching the configuration", () => watcher?.close());
        advisories?.stop();
        const connected = connection?.isConnected() ?? false;
        connection?.stop();
        await closeNats(log, nc, connected);
        await shutdownStep(log, "close webhook connections", () => sender.close());
        await shutdownStep(log, "close the HTTP endpoints", () => http?.close());
        log.info("stopped");
      })();
      return stopping;
    },
  };

  /** False when a stop came first; with --strict a missing folder fails the start. */
  async function folderThere(): Promise<boolean> {
    folderMissing = await folderProblem(settings.dir);
    if (folderMissing && settings.strict) {
      throw new ConfigError(`${folderMissing} and --strict is set: fix --dir or drop --strict`);
    }
    const there = await waitForFolder(settings.dir, { log, stopped: () => !!stopping });
    folderMissing = undefined;
    return there;
  }

  async function lookForParked() {
    // While JetStream is set up again, the deliveries stream may not exist yet.
    if (keeper?.reason()) return;
    try {
      await parked?.discover();
    } catch (err) {
      if (isMissingResource(err)) {
        keeper?.lost(`stream ${DELIVERY_STREAM} not found`);
        log.debug({ err }, "cannot look for parked deliveries: the stream is missing");
      } else {
        log.warn({ err }, "cannot look for parked deliveries; trying again shortly");
      }
    }
  }

  async function startConsumers(
    js: JetStreamClient,
    jsm: Awaited<ReturnType<typeof jetstreamManager>>,
    publisher: StoredPublisher,
  ) {
    const names = settings.nats.jetstream;
    const queue = createDurableQueue({
      publisher,
      deadLetters: deadLetters!,
      consumer: names.consumer,
      onDeadLetter: () => {
        if (deadLetterCount === null) return;
        deadLetterCount += 1;
        metrics.deadLetters.set(deadLetterCount);
      },
      onParked: (integration) => parked?.read(integration),
    });
    const dispatcher = new Dispatcher({
      sender,
      requests,
      limiter,
      queue,
      stats,
      metrics,
      log,
      signal: abort.signal,
    });
    const deps: HandlerDeps = {
      snapshot: () => snapshot,
      dispatcher,
      limiter,
      queue,
      stats,
      metrics,
      log,
    };
    const handleDelivery = (msg: JsMsg) =>
      handleDeliveryMessage(deps, {
        data: msg.data,
        subject: msg.subject,
        notBefore: msg.headers?.get(NOT_BEFORE_HEADER) || undefined,
      });
    parked = createParkedReaders({
      js,
      jsm,
      consumer: names.consumer,
      ackWaitMs: settings.ackWaitMs,
      room: (integration) =>
        limiter.whenRoom(
          integration,
          snapshot.byName.get(integration)?.integration.webhook.maxInFlight ?? UNLOADED_ROOM,
        ),
      run: (integration, messages) =>
        startConsumerLoop({
          name: parkedConsumerName(names.consumer, integration),
          messages,
          handle: handleDelivery,
          slots: intake,
          ackWaitMs: settings.ackWaitMs,
          log,
        }),
      log,
    });
    // Pull requests are NATS round trips of their own: ask for a few slots' worth at once.
    const batch = Math.min(256, 4 * settings.maxInFlight);
    const events = await js.consumers.get(names.stream, names.consumer);
    const deliveries = await js.consumers.get(
      DELIVERY_STREAM,
      deliveryConsumerName(names.consumer),
    );
    const pull = async (consumer: typeof events, where: { stream: string; consumer: string }) => {
      const messages = await pullContinuously(consumer, batch);
      keeper?.watch(messages, where);
      return messages;
    };
    const deliveryConsumer = deliveryConsumerName(names.consumer);
    loops.push(
      startConsumerLoop({
        name: names.consumer,
        messages: await pull(events, { stream: names.stream, consumer: names.consumer }),
        handle: (msg: JsMsg) => handleEventMessage(deps, msg),
        slots: intake,
        ackWaitMs: settings.ackWaitMs,
        log,
      }),
      startConsumerLoop({
        name: deliveryConsumer,
        messages: await pull(deliveries, { stream: DELIVERY_STREAM, consumer: deliveryConsumer }),
        handle: handleDelivery,
        slots: intake,
        ackWaitMs: settings.ackWaitMs,
        log,
      }),
    );
  }
}
