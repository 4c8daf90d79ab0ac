/**
 * `hookswitch run` as an object: live configuration, the delivery engine, the work on
 * JetStream (jetstream-work.ts) and the operations endpoints, started in order and stopped as
 * one ladder. No side effects on import; tests and the CLI create it with settings.
 */
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import type { ConfigInForce } from "./config-in-force.js";
import { buildEngine, type Engine } from "./engine.js";
import type { SecretPolicy } from "../config/secret-policy.js";
import { startConfiguration } from "../config/load/startup.js";
import { realFolder } from "../config/watch/folder-presence.js";
import { plural } from "../config/text.js";
import type { ConfigWatcher } from "../config/watch/watch.js";
import type { Problem } from "../config/types.js";
import type { Cidr } from "../delivery/egress.js";
import { startHttpServer, type HttpServer } from "../http/server.js";
import { buildStatusView } from "../http/status.js";
import { JetStreamWork, type JetStreamReached } from "./jetstream-work.js";
import {
  closedForGood,
  connectNats,
  watchConnection,
  type ConnectionWatch,
} from "../nats/connection.js";
import { waitForJetStream } from "../nats/jetstream-wait.js";
import type { NatsSettings } from "../nats/settings.js";
import { subjectIndexWarning } from "../nats/server-version.js";
import { closeNats, PARK_ABORTED_WAIT_MS, shutdownStep } from "./shutdown.js";
import { REVISION, VERSION } from "../version.js";
import { invalidFileStandings } from "../config/watch/invalid-files.js";
import type { ConfigState } from "../config/watch/generation.js";
import { warnOfWithdrawnWhileWaiting } from "./withdrawn-while-waiting.js";

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
  /** Events larger are dead-lettered, not delivered (`--max-event-size`); absent: 64 KiB. */
  maxEventBytes?: number;
  /** Events whose subject names another account, service or type are dead-lettered (`--require-subject-match`). */
  requireSubjectMatch?: boolean;
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
  /**
   * Rejects when the NATS connection closes for good outside a stop (the client gives up
   * after the server refused its login twice in a row): the process should end, to be
   * started again, rather than stay up and never ready.
   */
  readonly failed: Promise<never>;
}

export function createDaemon(settings: DaemonSettings, log: Logger): Daemon {
  return new HookswitchDaemon(settings, log);
}

class HookswitchDaemon implements Daemon {
  readonly #settings: DaemonSettings;
  readonly #log: Logger;
  readonly #engine: Engine;
  readonly #inForce: ConfigInForce;
  // Ends the start's waits (for JetStream) when a stop comes.
  readonly #startAbort = new AbortController();
  #watcher: ConfigWatcher | undefined;
  #http: HttpServer | undefined;
  // Each as it opens: a stop that comes meanwhile closes it once open (see #shutDown).
  #watcherOpening: Promise<ConfigWatcher | undefined> | undefined;
  #httpOpening: Promise<HttpServer> | undefined;
  #nc: NatsConnection | undefined;
  #connection: ConnectionWatch | undefined;
  #jetStream: JetStreamWork | undefined;
  #stopping: Promise<void> | undefined;
  #folderMissing: string | undefined;
  // Why JetStream cannot be used yet, while the start waits for it to answer.
  #jetStreamWaiting: string | undefined;
  readonly failed: Promise<never>;
  #fail!: (error: Error) => void;

  constructor(settings: DaemonSettings, log: Logger) {
    this.#settings = settings;
    this.#log = log;
    this.failed = new Promise<never>((_resolve, reject) => (this.#fail = reject));
    // Handled where it is awaited (run.ts); a daemon nobody awaits must not crash on it.
    this.failed.catch(() => undefined);
    this.#engine = buildEngine(settings, log, {
      isNatsConnected: () => this.#connection?.isConnected() ?? false,
      natsDisconnections: () => this.#connection?.disconnections() ?? 0,
      isReady: () => this.#notReadyReason() === undefined,
    });
    this.#inForce = this.#engine.inForce;
  }

  httpAddress(): string | undefined {
    return this.#http?.address;
  }

  async resync(): Promise<void> {
    return this.#watcher?.resync();
  }

  async start(): Promise<void> {
    // Up first, so that probes see why the daemon is not ready while it waits.
    this.#httpOpening = this.#serveHttp();
    this.#http = await this.#httpOpening;
    if (this.#stopping) return;
    // The version first: a pod that waits for NATS or its folder says what it runs.
    this.#log.info(
      { version: VERSION, revision: REVISION, address: this.#http.address },
      `hookswitch ${VERSION} starting`,
    );
    this.#watcherOpening = this.#watchConfiguration();
    this.#watcher = await this.#watcherOpening;
    if (this.#stopping) return;
    // Its first generation is in force already: the watcher hands every one to inForce.
    if (!this.#watcher) return;
    await this.#engine.forgetting.start();
    const reached = await this.#reachJetStream();
    if (!reached || this.#stopping) return;
    const oldServer = subjectIndexWarning(reached.nc.info?.version);
    if (oldServer) this.#log.warn({ natsServer: reached.nc.info?.version }, oldServer);
    this.#jetStream = new JetStreamWork({
      settings: this.#settings,
      engine: this.#engine.delivery,
      stopping: () => !!this.#stopping,
    });
    await this.#jetStream.start(reached);
    if (this.#stopping) return;
    const integrations = this.#inForce.snapshot().byName.size;
    const { dir, nats } = this.#settings;
    const { generation, digest } = this.#inForce.state() ?? { generation: 0, digest: "" };
    // The real path names the copy read (git-sync's worktree), the digest what it holds.
    const folder = await realFolder(dir);
    this.#log.info(
      {
        version: VERSION,
        revision: REVISION,
        dir,
        folder,
        generation,
        digest,
        stream: nats.jetstream.stream,
        consumer: nats.jetstream.consumer,
        integrations,
        // Which way pulls are bounded depends on the server (operating.md, "Large events").
        natsServer: reached.nc.info?.version,
        pull: this.#jetStream.pull(),
      },
      `hookswitch ${VERSION} is running: ${plural(integrations, "integration")} from ${folder} ` +
        `(config generation ${generation}, digest ${digest})`,
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
    return this.#jetStream ? this.#jetStream.notReadyReason() : "consumers not started yet";
  };

  #serveHttp(): Promise<HttpServer> {
    const inForce = this.#inForce;
    return startHttpServer(
      {
        metrics: this.#engine.metrics.exposition,
        notReadyReason: this.#notReadyReason,
        status: () => {
          const state = inForce.state();
          return buildStatusView({
            generation: state?.generation ?? 0,
            configDigest: state?.digest ?? null,
            // Where the files in force were read, beside their digest: not where it leads now.
            configFolder: state?.folder ?? this.#settings.dir,
            integrations: state?.integrations ?? [],
            problems: this.#folderMissingAtStart() ?? inForce.problems(),
            ...(state ? { standings: invalidFileStandings(state) } : {}),
            stats: this.#engine.stats,
            ...(this.#jetStream?.status() ?? NOTHING_READ),
            notReadyReason: this.#notReadyReason(),
            heldUntil: (name) => this.#engine.delivery.limiter.heldUntil(name, Date.now()),
            loaded: state !== undefined,
          });
        },
        log: this.#log,
      },
      this.#settings.httpAddr,
    );
  }

  /** The folder the start waits for, listed as the status page lists one gone later. */
  #folderMissingAtStart(): Problem[] | undefined {
    const message = this.#folderMissing;
    if (message === undefined) return undefined;
    const why = `${message}: no events are consumed until the integrations folder is there (check --dir)`;
    return [{ file: this.#settings.dir, line: 0, column: 0, message: why }];
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
      onGeneration: this.#applyGeneration,
      // Same integrations, other bytes: applied again for the digest to follow the files.
      onRewritten: this.#inForce.apply,
      onFolderGone: this.#inForce.folderGone,
    });
  }

  readonly #applyGeneration = (state: ConfigState): void => {
    const before = this.#inForce.state();
    this.#inForce.apply(state);
    warnOfWithdrawnWhileWaiting(
      this.#log,
      before,
      { integrations: state.integrations, mayBeHeldBack: this.#inForce.snapshot().mayBeHeldBack },
      this.#jetStream?.status().waiting ?? null,
    );
  };

  async #reachJetStream(): Promise<JetStreamReached | undefined> {
    const log = this.#log;
    const abandoned = this.#startAbort.signal;
    const nc = await connectNats(this.#settings.nats, {
      name: "hookswitch",
      log,
      waitOnFirstConnect: true,
      signal: abandoned,
    }).catch((err: unknown) => {
      // A stop while waiting: the wait ends at once, and closes a connection it makes late.
      if (abandoned.aborted) return undefined;
      throw err;
    });
    if (!nc) return undefined;
    this.#nc = nc;
    if (this.#stopping) {
      // Made as the stop began, and after the ladder closed NATS: nothing else would close it.
      await nc.close().catch(() => undefined);
      return undefined;
    }
    const link = watchConnection(nc, log, this.#settings.nats.inboxPrefix);
    this.#connection = link;
    void nc.closed().then((error) => {
      if (!this.#stopping) this.#fail(closedForGood(error));
    });
    // NATS answering is not JetStream answering (a server without JetStream, a cluster
    // without quorum): wait for it, not ready meanwhile, rather than exit.
    const jsm = await waitForJetStream(nc, {
      log,
      signal: this.#startAbort.signal,
      inboxPrefix: this.#settings.nats.inboxPrefix,
      onWaiting: (reason) => {
        this.#jetStreamWaiting = reason;
      },
    });
    return jsm ? { nc, link, js: jetstream(nc), jsm } : undefined;
  }

  async #shutDown(): Promise<void> {
    const { graceMs } = this.#settings;
    const log = this.#log;
    this.#startAbort.abort();
    this.#jetStream?.stopReads();
    this.#engine.forgetting.stop();
    const graceTimer = setTimeout(() => this.#engine.abort.abort(), graceMs);
    const finished = await shutdownStep(
      log,
      "finish or hand back the deliveries in flight",
      () => this.#jetStream?.stopConsumers(),
      graceMs + PARK_ABORTED_WAIT_MS,
    );
    clearTimeout(graceTimer);
    // Each consumer counts what it leaves, before NATS is closed under it.
    if (!finished) this.#engine.giveUp.abort();
    this.#engine.flushLogs();
    await shutdownStep(log, "stop watching the configuration", () =>
      this.#watcherOpening?.then((watcher) => watcher?.close(), ignoreFailure),
    );
    this.#jetStream?.stopAdvisories();
    const connected = this.#connection?.isConnected() ?? false;
    this.#connection?.stop();
    await closeNats(log, this.#nc, connected);
    await shutdownStep(log, "close webhook connections", () => this.#engine.sender.close());
    await shutdownStep(log, "close the HTTP endpoints", () =>
      this.#httpOpening?.then((http) => http.close(), ignoreFailure),
    );
    log.info("stopped");
  }
}

/** A start step that failed has nothing to close: the start says why. */
const ignoreFailure = () => undefined;

/** What the status page shows before JetStream has been read. */
const NOTHING_READ = { deadLetters: null, eventsPending: null, waiting: null };
