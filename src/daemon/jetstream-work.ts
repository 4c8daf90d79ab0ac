/**
 * What the daemon does on JetStream once NATS answers: the dead-letter store and its count,
 * the set-up that keeps streams and consumers (and makes them again when lost), the consumer
 * loops and parked readers, the advisories of messages that ran out of deliveries, and the
 * reads the status page shows. The daemon's shutdown ladder stops it in three rungs.
 */
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { startConsumers } from "./consumers.js";
import type { DeliveryEngine } from "./engine.js";
import type { DaemonSettings } from "./daemon.js";
import { createDeadLetterCount, type DeadLetterCount } from "../delivery/dead-letter-count.js";
import {
  createDeadLetterStore,
  DEFAULT_MAX_PAYLOAD,
  type DeadLetterStore,
} from "../delivery/dead-letters.js";
import { DEAD_LETTER_STREAM } from "../nats/layout.js";
import { retriesOf, type WaitingCounts } from "../delivery/waiting-counts.js";
import { watchMaxDeliveries } from "../nats/advisories.js";
import { DEFAULT_MAX_EVENT_BYTES } from "../delivery/oversized.js";
import { createJetStreamKeeper, type JetStreamKeeper } from "../nats/keeper.js";
import type { NatsLink } from "../nats/connection.js";
import { lastActive } from "../nats/last-active.js";
import { discoverParked, type ParkedDiscovery } from "../nats/parked-discovery.js";
import { watchRetriesPassedBy } from "../nats/passed-by.js";
import type { Periodic } from "../periodic.js";
import { largestMessageBytes, pullSize, type PullSize } from "../nats/pull-size.js";
import type { ParkedReaders } from "../nats/parked-readers.js";
import type { RestartingLoop } from "../nats/restarting-loop.js";
import { storeRetried } from "../nats/store-retry.js";
import { createStoredPublisher, type StoredPublisher } from "../nats/stored-publish.js";

/** NATS as the start reached it: connected, and JetStream answering. */
export interface JetStreamReached {
  nc: NatsConnection;
  /** Whether the connection is up now, and when it is again. */
  link: NatsLink;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

export interface JetStreamWorkDeps {
  settings: Pick<
    DaemonSettings,
    "nats" | "ackWaitMs" | "maxInFlight" | "maxEventBytes" | "requireSubjectMatch"
  >;
  engine: DeliveryEngine;
  /** True once a stop has begun: a start that meets it leaves nothing running. */
  stopping: () => boolean;
}

const DEAD_LETTER_COUNT_INTERVAL_MS = 15_000;
/**
 * How often to look for deliveries parked by other replicas (or before a restart), and so
 * to count the deliveries waiting by integration.
 */
export const PARKED_DISCOVERY_INTERVAL_MS = 10_000;

export class JetStreamWork {
  readonly #deps: JetStreamWorkDeps;
  readonly #loops: RestartingLoop[] = [];
  #parked: ParkedReaders | undefined;
  #keeper: JetStreamKeeper | undefined;
  #deadLetterCount: DeadLetterCount | undefined;
  #pull: PullSize | undefined;
  #parkedDiscovery: ParkedDiscovery | undefined;
  #passedBy: Periodic | undefined;
  #advisories: { stop(): void } | undefined;
  #publisher: StoredPublisher | undefined;
  #link: NatsLink | undefined;
  #consuming = false;
  // The event consumer's backlog as last read (every 5 s), for the status page.
  #eventsPending: number | null = null;
  // Deliveries waiting in the delivery stream by integration, as last read.
  #waiting: Map<string, WaitingCounts> | null = null;

  constructor(deps: JetStreamWorkDeps) {
    this.#deps = deps;
  }

  /** Sets up streams and consumers (retrying), then consumes and reads in the background. */
  async start(reached: JetStreamReached): Promise<void> {
    const { inboxPrefix } = this.#deps.settings.nats;
    const publisher = createStoredPublisher(reached.nc, {
      link: reached.link,
      ...(inboxPrefix ? { inboxPrefix } : {}),
    });
    this.#publisher = publisher;
    this.#link = reached.link;
    const store = createDeadLetterStore(reached.js, reached.jsm, {
      consumer: this.#deps.settings.nats.jetstream.consumer,
      maxPayload: () => reached.nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD,
      serverVersion: reached.nc.info?.version,
      publisher,
    });
    this.#deadLetterCount = createDeadLetterCount({
      store,
      gauge: this.#deps.engine.metrics.deadLetters,
      missing: this.#deadLettersMissing,
      intervalMs: DEAD_LETTER_COUNT_INTERVAL_MS,
    });
    await this.#startConsumers(reached, store, publisher);
    if (this.#deps.stopping()) return;
    await this.#watchInBackground(reached, store, this.#deadLetterCount);
  }

  /** How much the consumer loops ask NATS for at once, as of the last set-up. */
  pull(): PullSize | undefined {
    return this.#pull;
  }

  /** Why the daemon cannot consume, once NATS and JetStream answer. */
  notReadyReason(): string | undefined {
    if (!this.#consuming) return this.#keeper?.reason() ?? "consumers not started yet";
    return this.#keeper?.reason() ?? this.#loops.map((loop) => loop.reason()).find(Boolean);
  }

  status(): {
    deadLetters: number | null;
    eventsPending: number | null;
    waiting: Map<string, WaitingCounts> | null;
  } {
    return {
      deadLetters: this.#deadLetterCount?.value() ?? null,
      eventsPending: this.#eventsPending,
      waiting: this.#waiting,
    };
  }

  /** The ladder's first rung: no more set-up retries or periodic reads. */
  stopReads(): void {
    this.#consuming = false;
    this.#keeper?.stop();
    this.#deadLetterCount?.stop();
    this.#parkedDiscovery?.stop();
    this.#passedBy?.stop();
  }

  /** Stops pulling, and finishes or hands back what was pulled (the caller bounds the wait). */
  async stopConsumers(): Promise<void> {
    // Records are also held for a few milliseconds to leave together: only NATS down makes a wait.
    const records = this.#link?.isConnected() === false ? (this.#publisher?.held ?? 0) : 0;
    if (records > 0) {
      // Their deliveries finish once they are stored; the caller bounds the wait.
      this.#deps.engine.log.info(
        { records },
        "NATS is down: waiting for it to store retries, parked deliveries and dead letters, " +
          "until the grace period ends",
      );
    }
    await Promise.all([...this.#loops.map((loop) => loop.stop()), this.#parked?.stop()]);
  }

  /** Last, before NATS is drained: a message that ran out of deliveries meanwhile is kept. */
  stopAdvisories(): void {
    this.#advisories?.stop();
  }

  /** HOOKSWITCH_DLQ found missing: have it set up again (not ready meanwhile). */
  readonly #deadLettersMissing = () => this.#keeper?.lost(`stream ${DEAD_LETTER_STREAM} not found`);

  async #startConsumers(
    { nc, link, js, jsm }: JetStreamReached,
    store: DeadLetterStore,
    publisher: StoredPublisher,
  ): Promise<void> {
    const { settings, engine, stopping } = this.#deps;
    const keeper = createJetStreamKeeper({
      jsm,
      names: settings.nats.jetstream,
      ackWaitMs: settings.ackWaitMs,
      log: engine.log,
      link,
      consumerRead: (info) => {
        this.#eventsPending = info.num_pending;
        engine.metrics.eventsPending.set(info.num_pending);
        engine.metrics.eventsUnacknowledged.set(info.num_ack_pending);
        const acknowledgedAt = lastActive(info.ack_floor);
        if (acknowledgedAt !== undefined) engine.metrics.eventsLastAcknowledged.set(acknowledgedAt);
      },
      deliveryConsumerRead: (info) => {
        engine.metrics.waitingRetries.set(info.num_ack_pending);
        engine.metrics.waitingRetriesLimit.set(info.config.max_ack_pending ?? 0);
      },
    });
    this.#keeper = keeper;
    if (stopping()) keeper.stop(); // a stop came while connecting: no set-up retries
    await keeper.start(async () => {
      // Read at each set-up: a reconnection may have reached a server of another version.
      const maxPayload = nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD;
      const maxEventBytes = settings.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
      const messageBytes = largestMessageBytes({ maxPayload, maxEventBytes });
      this.#pull = pullSize({
        maxInFlight: settings.maxInFlight,
        serverVersion: nc.info?.version,
        maxPayload,
        messageBytes,
      });
      const consumers = await startConsumers({
        ...engine,
        nc,
        js,
        jsm,
        publisher,
        deadLetters: store,
        names: settings.nats.jetstream,
        ackWaitMs: settings.ackWaitMs,
        pull: this.#pull,
        maxEventBytes,
        requireSubjectMatch: settings.requireSubjectMatch === true,
        parkedMessageBytes: messageBytes,
        keeper: keeper,
        link,
        stopping,
        onDeadLetter: () => this.#deadLetterCount?.added(),
      });
      // A stop that came during the set-up has passed the step that stops these.
      if (stopping()) {
        await Promise.all([...consumers.loops.map((loop) => loop.stop()), consumers.parked.stop()]);
        return;
      }
      this.#loops.push(...consumers.loops);
      this.#parked = consumers.parked;
    });
  }

  /** Advisories, parked deliveries of other replicas and the dead-letter count. */
  async #watchInBackground(
    { nc, link, js, jsm }: JetStreamReached,
    store: DeadLetterStore,
    deadLetterCount: DeadLetterCount,
  ): Promise<void> {
    const { settings, engine } = this.#deps;
    const { stream, consumer, replicas } = settings.nats.jetstream;
    this.#advisories = await watchMaxDeliveries(nc, js, jsm, {
      stream,
      consumer,
      replicas,
      // The event is read from its stream again only here: wait out a missing DLQ.
      deadLetter: (record, msgId) =>
        storeRetried(() => store.add(record, { msgId }), {
          stream: DEAD_LETTER_STREAM,
          missing: this.#deadLettersMissing,
          failed: (stream) => engine.metrics.storeFailures.inc({ stream }),
        }),
      log: engine.log,
    });
    // A stop that came while the advisories were being set up has passed their rung, and
    // the reads' (stopReads): nothing more is started.
    if (this.#deps.stopping()) {
      this.#advisories.stop();
      return;
    }
    this.#consuming = true;
    // While JetStream is set up again, or NATS is away, the reads below wait.
    const paused = () => !!this.#keeper?.reason() || !link.isConnected();
    this.#parkedDiscovery = discoverParked({
      parked: () => this.#parked,
      paused,
      lost: (what) => this.#keeper?.lost(what),
      found: (read) => {
        this.#waiting = read;
        engine.metrics.deliveriesWaiting.set(read);
      },
      log: engine.log,
      intervalMs: PARKED_DISCOVERY_INTERVAL_MS,
    });
    await this.#parkedDiscovery.start();
    this.#passedBy = watchRetriesPassedBy({
      jsm,
      consumer,
      serverVersion: () => nc.info?.version,
      paused,
      retriesStored: () => (this.#waiting ? retriesOf(this.#waiting) : undefined),
      shown: (count) => engine.metrics.waitingRetriesPassedBy.set(count),
      log: engine.log,
      intervalMs: PARKED_DISCOVERY_INTERVAL_MS,
    });
    await this.#passedBy.start();
    await deadLetterCount.start();
  }
}
