/**
 * `hookswitch run` as an object: live configuration, the NATS consumers, the delivery
 * engine and the operations endpoints, started in order and stopped as one ladder.
 * No side effects on import; tests and the CLI create it with settings.
 */
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { plural } from "./config/text.js";
import { startConfiguration } from "./config/startup.js";
import type { ConfigWatcher } from "./config/watch.js";
import { createDeadLetterStore } from "./delivery/dead-letters.js";
import { createDeadLetterCount, type DeadLetterCount } from "./delivery/dead-letter-count.js";
import { createEgressPolicy, type Cidr } from "./delivery/egress.js";
import { Intake } from "./delivery/intake.js";
import { createLimiter } from "./delivery/limiter.js";
import { RequestSlots } from "./delivery/request-slots.js";
import { createSender, type Sender } from "./delivery/send.js";
import { DeliveryStats } from "./delivery/stats.js";
import type { WaitingCounts } from "./delivery/waiting.js";
import { createMetrics } from "./http/metrics.js";
import { startHttpServer, type HttpServer } from "./http/server.js";
import { buildStatusView } from "./http/status.js";
import { watchMaxDeliveries } from "./nats/advisories.js";
import { connectNats, watchConnection, type ConnectionWatch } from "./nats/connection.js";
import { pullBatch, type ConsumerLoop } from "./nats/consumer-loop.js";
import type { ParkedReaders } from "./nats/parked-readers.js";
import { createJetStreamKeeper, type JetStreamKeeper } from "./nats/keeper.js";
import { waitForJetStream } from "./nats/jetstream-wait.js";
import { discoverParked, type ParkedDiscovery } from "./nats/parked-discovery.js";
import type { NatsSettings } from "./nats/settings.js";
import { createConfigInForce } from "./config-in-force.js";
import { startConsumers } from "./consumers.js";
import { closeNats, HAND_BACK_WAIT_MS, shutdownStep } from "./shutdown.js";
import { VERSION } from "./version.js";
import { storeRetried } from "./nats/store-retry.js";
import { createStoredPublisher } from "./nats/stored-publish.js";
import type { SecretPolicy } from "./config/secret-policy.js";
import { DEAD_LETTER_STREAM } from "./delivery/records.js";

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
  /** Where integration files may take secrets from (`--secrets-dir`, `--secret-env-prefix`). */
  secretPolicy?: SecretPolicy;
}

export interface Daemon {
  /** Loads the configuration, serves HTTP, connects to NATS and JetStream (waiting while they are down) and consumes. */
  start(): Promise<void>;
  /** The shutdown ladder. Safe to call more than once. */
  stop(): Promise<void>;
  resync(): Promise<void>;
  httpAddress(): string | undefined;
}

const DEAD_LETTER_COUNT_INTERVAL_MS = 15_000;
/** How often to look for deliveries parked by other replicas (or before a restart). */
const PARKED_DISCOVERY_INTERVAL_MS = 10_000;

export function createDaemon(settings: DaemonSettings, log: Logger): Daemon {
  // --max-in-flight caps both the messages in progress (intake waits) and the requests in
  // flight (an event matching several integrations starts several). Messages pulled behind
  // requests that hang take spare slots before the ack wait runs out (intake.ts).
  const intake = new Intake(settings.maxInFlight, {
    spare: pullBatch(settings.maxInFlight),
    spareAfterMs: Math.min(1_000, settings.ackWaitMs / 4),
  });
  const requests = new RequestSlots(settings.maxInFlight);
  const stats = new DeliveryStats();
  const metrics = createMetrics({
    requestsInFlight: () => requests.taken,
    isNatsConnected: () => connection?.isConnected() ?? false,
    isReady: () => notReadyReason() === undefined,
    deliveryCounts: () => stats.countsWith(inForce.snapshot().byName.keys()),
  });
  // Aborts every attempt in flight when shutdown's grace period ends.
  const abort = new AbortController();
  // One origin may take as many connections as the global cap allows requests.
  const sender: Sender = createSender({
    egress: createEgressPolicy(settings.egress),
    connections: Math.max(32, settings.maxInFlight),
  });
  const limiter = createLimiter();
  const inForce = createConfigInForce({ metrics, limiter });
  let watcher: ConfigWatcher | undefined;
  let http: HttpServer | undefined;
  let nc: NatsConnection | undefined;
  let connection: ConnectionWatch | undefined;
  let deadLetterCount: DeadLetterCount | undefined;
  // The event consumer's backlog as last read (every 5 s), for the status page.
  let eventsPending: number | null = null;
  // Deliveries waiting in the delivery stream by integration, as last read (every 10 s).
  let waiting: Map<string, WaitingCounts> | null = null;
  const loops: ConsumerLoop[] = [];
  let parked: ParkedReaders | undefined;
  let parkedDiscovery: ParkedDiscovery | undefined;
  let consuming = false;
  let advisories: { stop(): void } | undefined;
  // The JetStream set-up: retried at start, run again when a stream or consumer is lost.
  let keeper: JetStreamKeeper | undefined;
  let stopping: Promise<void> | undefined;
  let folderMissing: string | undefined;
  // Why JetStream cannot be used yet, while the start waits for it to answer.
  let jetStreamWaiting: string | undefined;
  // Ends the start's waits (for JetStream) when a stop comes.
  const startAbort = new AbortController();

  const notReadyReason = () => {
    if (stopping) return "stopping";
    if (folderMissing) return folderMissing;
    if (!inForce.state()) return "configuration not loaded yet";
    if (!connection?.isConnected()) return "not connected to NATS";
    if (jetStreamWaiting) return `waiting for JetStream: ${jetStreamWaiting}`;
    if (!consuming) return keeper?.reason() ?? "consumers not started yet";
    return keeper?.reason();
  };

  /** HOOKSWITCH_DLQ found missing: have it set up again (not ready meanwhile). */
  const deadLettersMissing = () => keeper?.lost(`stream ${DEAD_LETTER_STREAM} not found`);

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
              generation: inForce.state()?.generation ?? 0,
              integrations: inForce.state()?.integrations ?? [],
              problems: inForce.problems(),
              stats,
              deadLetters: deadLetterCount?.value() ?? null,
              eventsPending,
              waiting,
              ready: notReadyReason() === undefined,
            }),
        },
        settings.httpAddr,
      );
      // The version first: a pod that waits for NATS or its folder says what it runs.
      log.info({ version: VERSION, address: http.address }, `hookswitch ${VERSION} starting`);
      watcher = await startConfiguration({
        dir: settings.dir,
        strict: settings.strict,
        resyncIntervalMs: settings.resyncIntervalMs,
        ...(settings.secretPolicy ? { secretPolicy: settings.secretPolicy } : {}),
        log,
        stopped: () => !!stopping,
        onFolderProblem: (problem) => (folderMissing = problem),
        onGeneration: inForce.apply,
        onFolderGone: inForce.folderGone,
      });
      // Its first generation is in force already: the watcher hands every one to inForce.
      if (!watcher) return;

      nc = await connectNats(settings.nats, { name: "hookswitch", log, waitOnFirstConnect: true });
      if (stopping) return;
      connection = watchConnection(nc, log);
      const js = jetstream(nc);
      // NATS answering is not JetStream answering (a server without JetStream, a cluster
      // without quorum): wait for it, not ready meanwhile, rather than exit.
      const jsm = await waitForJetStream(nc, {
        log,
        signal: startAbort.signal,
        onWaiting: (reason) => {
          jetStreamWaiting = reason;
        },
      });
      if (!jsm || stopping) return;
      // A closure over the `let` would not keep its narrowing to this connection.
      const server = nc;
      const store = createDeadLetterStore(js, jsm, {
        maxPayload: () => server.info?.max_payload ?? 1024 * 1024,
      });
      deadLetterCount = createDeadLetterCount({
        store,
        gauge: metrics.deadLetters,
        missing: deadLettersMissing,
        intervalMs: DEAD_LETTER_COUNT_INTERVAL_MS,
      });
      const setUp = createJetStreamKeeper({
        jsm,
        names: settings.nats.jetstream,
        ackWaitMs: settings.ackWaitMs,
        log,
        consumerRead: (info) => {
          eventsPending = info.num_pending;
          metrics.eventsPending.set(info.num_pending);
          metrics.eventsUnacknowledged.set(info.num_ack_pending);
        },
      });
      keeper = setUp;
      if (stopping) setUp.stop(); // a stop came while connecting: no set-up retries
      const publisher = createStoredPublisher(nc);
      await setUp.start(async () => {
        const consumers = await startConsumers({
          js,
          jsm,
          publisher,
          deadLetters: store,
          names: settings.nats.jetstream,
          ackWaitMs: settings.ackWaitMs,
          maxInFlight: settings.maxInFlight,
          intake,
          requests,
          sender,
          limiter,
          stats,
          metrics,
          log,
          signal: abort.signal,
          snapshot: inForce.snapshot,
          keeper: setUp,
          onDeadLetter: () => deadLetterCount?.added(),
        });
        // A stop that came during the set-up has passed the step that stops these.
        if (stopping) {
          await Promise.all([
            ...consumers.loops.map((loop) => loop.stop()),
            consumers.parked.stop(),
          ]);
          return;
        }
        loops.push(...consumers.loops);
        parked = consumers.parked;
      });
      if (stopping) return;
      advisories = watchMaxDeliveries(nc, jsm, {
        stream: settings.nats.jetstream.stream,
        consumer: settings.nats.jetstream.consumer,
        // The event is read from its stream again only here: wait out a missing DLQ.
        deadLetter: (record, msgId) =>
          storeRetried(() => store.add(record, { msgId }), deadLettersMissing),
        log,
      });
      consuming = true;
      parkedDiscovery = discoverParked({
        parked: () => parked,
        paused: () => !!keeper?.reason() || !connection?.isConnected(),
        lost: (what) => keeper?.lost(what),
        found: (read) => {
          waiting = read;
          metrics.deliveriesWaiting.set(read);
        },
        log,
        intervalMs: PARKED_DISCOVERY_INTERVAL_MS,
      });
      await parkedDiscovery.start();
      await deadLetterCount.start();
      log.info(
        {
          version: VERSION,
          dir: settings.dir,
          stream: settings.nats.jetstream.stream,
          consumer: settings.nats.jetstream.consumer,
          integrations: inForce.snapshot().byName.size,
        },
        `hookswitch ${VERSION} is running: ${plural(inForce.snapshot().byName.size, "integration")} from ${settings.dir}`,
      );
    },

    stop() {
      stopping ??= (async () => {
        consuming = false;
        startAbort.abort();
        keeper?.stop();
        deadLetterCount?.stop();
        parkedDiscovery?.stop();
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
}
