/**
 * `hookswitch run` as an object: live configuration, the NATS consumers, the delivery
 * engine and the operations endpoints, started in order and stopped as one ladder.
 * No side effects on import; tests and the CLI create it with settings.
 */
import { jetstream, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { plural } from "./config/text.js";
import { startConfiguration } from "./config/startup.js";
import type { ConfigWatcher } from "./config/watch.js";
import { createDeadLetterStore, type DeadLetterStore } from "./delivery/dead-letters.js";
import { createDeadLetterCount, type DeadLetterCount } from "./delivery/dead-letter-count.js";
import { createEgressPolicy, type Cidr } from "./delivery/egress.js";
import { Intake } from "./delivery/intake.js";
import { createInvalidEventLog, type InvalidEventLog } from "./delivery/invalid-log.js";
import { createLimiter } from "./delivery/limiter.js";
import { RequestSlots } from "./delivery/request-slots.js";
import { createSender, type Sender } from "./delivery/send.js";
import { DeliveryStats } from "./delivery/stats.js";
import type { WaitingCounts } from "./delivery/waiting.js";
import { createMetrics, type Metrics } from "./http/metrics.js";
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
import { createConfigInForce, type ConfigInForce } from "./config-in-force.js";
import { startConsumers } from "./consumers.js";
import { closeNats, HAND_BACK_WAIT_MS, shutdownStep } from "./shutdown.js";
import { VERSION } from "./version.js";
import { storeRetried } from "./nats/store-retry.js";
import { createStoredPublisher, type StoredPublisher } from "./nats/stored-publish.js";
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
  return new HookswitchDaemon(settings, log);
}

/** NATS as the start reached it: connected, and JetStream answering. */
interface JetStreamReached {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

class HookswitchDaemon implements Daemon {
  readonly #settings: DaemonSettings;
  readonly #log: Logger;
  // --max-in-flight caps both the messages in progress (intake waits) and the requests in
  // flight (an event matching several integrations starts several). Messages pulled behind
  // requests that hang take spare slots before the ack wait runs out (intake.ts).
  readonly #intake: Intake;
  readonly #requests: RequestSlots;
  readonly #stats = new DeliveryStats();
  readonly #metrics: Metrics;
  // Aborts every attempt in flight when shutdown's grace period ends.
  readonly #abort = new AbortController();
  readonly #sender: Sender;
  readonly #limiter = createLimiter();
  readonly #inForce: ConfigInForce;
  // One per daemon: a flood's count outlives a set-up of the consumers again.
  readonly #invalidEvents: InvalidEventLog;
  // Ends the start's waits (for JetStream) when a stop comes.
  readonly #startAbort = new AbortController();
  readonly #loops: ConsumerLoop[] = [];
  #watcher: ConfigWatcher | undefined;
  #http: HttpServer | undefined;
  #nc: NatsConnection | undefined;
  #connection: ConnectionWatch | undefined;
  #deadLetterCount: DeadLetterCount | undefined;
  // The event consumer's backlog as last read (every 5 s), for the status page.
  #eventsPending: number | null = null;
  // Deliveries waiting in the delivery stream by integration, as last read (every 10 s).
  #waiting: Map<string, WaitingCounts> | null = null;
  #parked: ParkedReaders | undefined;
  #parkedDiscovery: ParkedDiscovery | undefined;
  #consuming = false;
  #advisories: { stop(): void } | undefined;
  // The JetStream set-up: retried at start, run again when a stream or consumer is lost.
  #keeper: JetStreamKeeper | undefined;
  #stopping: Promise<void> | undefined;
  #folderMissing: string | undefined;
  // Why JetStream cannot be used yet, while the start waits for it to answer.
  #jetStreamWaiting: string | undefined;

  constructor(settings: DaemonSettings, log: Logger) {
    this.#settings = settings;
    this.#log = log;
    this.#intake = new Intake(settings.maxInFlight, {
      spare: pullBatch(settings.maxInFlight),
      spareAfterMs: Math.min(1_000, settings.ackWaitMs / 4),
    });
    this.#requests = new RequestSlots(settings.maxInFlight);
    this.#metrics = createMetrics({
      requestsInFlight: () => this.#requests.taken,
      isNatsConnected: () => this.#connection?.isConnected() ?? false,
      isReady: () => this.#notReadyReason() === undefined,
      deliveryCounts: () => this.#stats.countsWith(this.#inForce.snapshot().byName.keys()),
    });
    // One origin may take as many connections as the global cap allows requests.
    this.#sender = createSender({
      egress: createEgressPolicy(settings.egress),
      connections: Math.max(32, settings.maxInFlight),
    });
    this.#inForce = createConfigInForce({ metrics: this.#metrics, limiter: this.#limiter });
    this.#invalidEvents = createInvalidEventLog(log);
  }

  httpAddress(): string | undefined {
    return this.#http?.address;
  }

  async resync(): Promise<void> {
    return this.#watcher?.resync();
  }

  async start(): Promise<void> {
    // Up first, so that probes see why the daemon is not ready while it waits.
    this.#http = await this.#serveHttp();
    // The version first: a pod that waits for NATS or its folder says what it runs.
    this.#log.info(
      { version: VERSION, address: this.#http.address },
      `hookswitch ${VERSION} starting`,
    );
    this.#watcher = await this.#watchConfiguration();
    // Its first generation is in force already: the watcher hands every one to inForce.
    if (!this.#watcher) return;
    const reached = await this.#reachJetStream();
    if (!reached || this.#stopping) return;
    const publisher = createStoredPublisher(reached.nc);
    const store = createDeadLetterStore(reached.js, reached.jsm, {
      maxPayload: () => reached.nc.info?.max_payload ?? 1024 * 1024,
      publisher,
    });
    this.#deadLetterCount = createDeadLetterCount({
      store,
      gauge: this.#metrics.deadLetters,
      missing: this.#deadLettersMissing,
      intervalMs: DEAD_LETTER_COUNT_INTERVAL_MS,
    });
    await this.#startConsumers(reached, store, publisher);
    if (this.#stopping) return;
    await this.#watchInBackground(reached, store, this.#deadLetterCount);
    const integrations = this.#inForce.snapshot().byName.size;
    const { dir, nats } = this.#settings;
    this.#log.info(
      {
        version: VERSION,
        dir,
        stream: nats.jetstream.stream,
        consumer: nats.jetstream.consumer,
        integrations,
      },
      `hookswitch ${VERSION} is running: ${plural(integrations, "integration")} from ${dir}`,
    );
  }

  /** The shutdown ladder: stop intake, finish or hand back work, drain NATS, close servers. */
  stop(): Promise<void> {
    this.#stopping ??= this.#shutDown();
    return this.#stopping;
  }

  readonly #notReadyReason = (): string | undefined => {
    if (this.#stopping) return "stopping";
    if (this.#folderMissing) return this.#folderMissing;
    if (!this.#inForce.state()) return "configuration not loaded yet";
    if (!this.#connection?.isConnected()) return "not connected to NATS";
    if (this.#jetStreamWaiting) return `waiting for JetStream: ${this.#jetStreamWaiting}`;
    if (!this.#consuming) return this.#keeper?.reason() ?? "consumers not started yet";
    return this.#keeper?.reason();
  };

  /** HOOKSWITCH_DLQ found missing: have it set up again (not ready meanwhile). */
  readonly #deadLettersMissing = () => this.#keeper?.lost(`stream ${DEAD_LETTER_STREAM} not found`);

  #serveHttp(): Promise<HttpServer> {
    const inForce = this.#inForce;
    return startHttpServer(
      {
        registry: this.#metrics.registry,
        notReadyReason: this.#notReadyReason,
        status: () =>
          buildStatusView({
            generation: inForce.state()?.generation ?? 0,
            integrations: inForce.state()?.integrations ?? [],
            problems: inForce.problems(),
            stats: this.#stats,
            deadLetters: this.#deadLetterCount?.value() ?? null,
            eventsPending: this.#eventsPending,
            waiting: this.#waiting,
            ready: this.#notReadyReason() === undefined,
          }),
      },
      this.#settings.httpAddr,
    );
  }

  #watchConfiguration(): Promise<ConfigWatcher | undefined> {
    const { dir, strict, resyncIntervalMs, secretPolicy } = this.#settings;
    return startConfiguration({
      dir,
      strict,
      resyncIntervalMs,
      ...(secretPolicy ? { secretPolicy } : {}),
      log: this.#log,
      stopped: () => !!this.#stopping,
      onFolderProblem: (problem) => (this.#folderMissing = problem),
      onGeneration: this.#inForce.apply,
      onFolderGone: this.#inForce.folderGone,
    });
  }

  async #reachJetStream(): Promise<JetStreamReached | undefined> {
    const log = this.#log;
    const nc = await connectNats(this.#settings.nats, {
      name: "hookswitch",
      log,
      waitOnFirstConnect: true,
    });
    this.#nc = nc;
    if (this.#stopping) return undefined;
    this.#connection = watchConnection(nc, log);
    // NATS answering is not JetStream answering (a server without JetStream, a cluster
    // without quorum): wait for it, not ready meanwhile, rather than exit.
    const jsm = await waitForJetStream(nc, {
      log,
      signal: this.#startAbort.signal,
      onWaiting: (reason) => {
        this.#jetStreamWaiting = reason;
      },
    });
    return jsm ? { nc, js: jetstream(nc), jsm } : undefined;
  }

  async #startConsumers(
    { js, jsm }: JetStreamReached,
    store: DeadLetterStore,
    publisher: StoredPublisher,
  ): Promise<void> {
    const settings = this.#settings;
    const setUp = createJetStreamKeeper({
      jsm,
      names: settings.nats.jetstream,
      ackWaitMs: settings.ackWaitMs,
      log: this.#log,
      consumerRead: (info) => {
        this.#eventsPending = info.num_pending;
        this.#metrics.eventsPending.set(info.num_pending);
        this.#metrics.eventsUnacknowledged.set(info.num_ack_pending);
      },
    });
    this.#keeper = setUp;
    if (this.#stopping) setUp.stop(); // a stop came while connecting: no set-up retries
    await setUp.start(async () => {
      const consumers = await startConsumers({
        js,
        jsm,
        publisher,
        deadLetters: store,
        names: settings.nats.jetstream,
        ackWaitMs: settings.ackWaitMs,
        maxInFlight: settings.maxInFlight,
        intake: this.#intake,
        requests: this.#requests,
        sender: this.#sender,
        limiter: this.#limiter,
        stats: this.#stats,
        metrics: this.#metrics,
        log: this.#log,
        invalidEvents: this.#invalidEvents,
        signal: this.#abort.signal,
        snapshot: this.#inForce.snapshot,
        keeper: setUp,
        onDeadLetter: () => this.#deadLetterCount?.added(),
      });
      // A stop that came during the set-up has passed the step that stops these.
      if (this.#stopping) {
        await Promise.all([...consumers.loops.map((loop) => loop.stop()), consumers.parked.stop()]);
        return;
      }
      this.#loops.push(...consumers.loops);
      this.#parked = consumers.parked;
    });
  }

  /** Advisories, parked deliveries of other replicas and the dead-letter count. */
  async #watchInBackground(
    { nc, jsm }: JetStreamReached,
    store: DeadLetterStore,
    deadLetterCount: DeadLetterCount,
  ): Promise<void> {
    const { stream, consumer } = this.#settings.nats.jetstream;
    this.#advisories = watchMaxDeliveries(nc, jsm, {
      stream,
      consumer,
      // The event is read from its stream again only here: wait out a missing DLQ.
      deadLetter: (record, msgId) =>
        storeRetried(() => store.add(record, { msgId }), this.#deadLettersMissing),
      log: this.#log,
    });
    this.#consuming = true;
    this.#parkedDiscovery = discoverParked({
      parked: () => this.#parked,
      paused: () => !!this.#keeper?.reason() || !this.#connection?.isConnected(),
      lost: (what) => this.#keeper?.lost(what),
      found: (read) => {
        this.#waiting = read;
        this.#metrics.deliveriesWaiting.set(read);
      },
      log: this.#log,
      intervalMs: PARKED_DISCOVERY_INTERVAL_MS,
    });
    await this.#parkedDiscovery.start();
    await deadLetterCount.start();
  }

  async #shutDown(): Promise<void> {
    const { graceMs } = this.#settings;
    const log = this.#log;
    this.#consuming = false;
    this.#startAbort.abort();
    this.#keeper?.stop();
    this.#deadLetterCount?.stop();
    this.#parkedDiscovery?.stop();
    const graceTimer = setTimeout(() => this.#abort.abort(), graceMs);
    await shutdownStep(
      log,
      "finish or hand back the deliveries in flight",
      () => Promise.all([...this.#loops.map((loop) => loop.stop()), this.#parked?.stop()]),
      graceMs + HAND_BACK_WAIT_MS,
    );
    clearTimeout(graceTimer);
    this.#invalidEvents.flush();
    await shutdownStep(log, "stop watching the configuration", () => this.#watcher?.close());
    this.#advisories?.stop();
    const connected = this.#connection?.isConnected() ?? false;
    this.#connection?.stop();
    await closeNats(log, this.#nc, connected);
    await shutdownStep(log, "close webhook connections", () => this.#sender.close());
    await shutdownStep(log, "close the HTTP endpoints", () => this.#http?.close());
    log.info("stopped");
  }
}
