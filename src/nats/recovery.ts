/**
 * Keeps a running daemon consuming when JetStream loses what it set up: a durable
 * consumer deleted (`nats consumer rm`), or NATS restarted without its storage (every
 * stream gone). The client's consume() iterators go on asking for their consumer and
 * resume once it exists again, but nothing re-creates it: without this the daemon stayed
 * ready while events piled up. Recovery reports not ready, re-runs the set-up until it
 * works, waits for the iterators to pull again, and reports ready.
 */
import {
  JetStreamApiCodes,
  JetStreamApiError,
  type ConsumerInfo,
  type ConsumerMessages,
  type JetStreamManager,
} from "@nats-io/jetstream";
import type { Logger } from "pino";
import { NoStreamError, StreamMissingError, coerceError, errorChain } from "../errors.js";
import { firstUnacknowledged } from "./consumer-start.js";
import { isConsumerInfo } from "./durable-consumers.js";
import type { ResumePoint } from "./setup.js";
import { doublingDelayMs } from "../backoff.js";
import type { NatsLink } from "./connection.js";

/**
 * A stream or consumer that does not exist, also when a publish found no stream to store
 * it, and when wrapped as the `cause` of a set-up error.
 */
export function isMissingResource(err: unknown): boolean {
  return errorChain(err).some(
    (e) =>
      e instanceof StreamMissingError ||
      e instanceof NoStreamError ||
      (e instanceof JetStreamApiError &&
        (e.code === JetStreamApiCodes.StreamNotFound ||
          e.code === JetStreamApiCodes.ConsumerNotFound)),
  );
}

export interface Recovery {
  /** Why consuming is interrupted, while it is; undefined otherwise. */
  reason(): string | undefined;
  /**
   * Reports a stream or consumer found missing; starts a recovery unless one runs.
   * `ownDoing`: hookswitch removed it itself (consumer-guard.ts), nothing went wrong.
   */
  lost(what: string, ownDoing?: boolean): void;
  /** Cancels the retries (shutdown). */
  stop(): void;
}

export interface RecoveryOptions {
  /** Re-runs the set-up (streams unless `--no-create-stream`, then the consumers). */
  setup: () => Promise<void>;
  /** Resolves once the consumers pull again; rejects if they do not soon. */
  resumed: () => Promise<void>;
  log: Logger;
  /**
   * Resolves once no stream is midway through a deletion (deletion-settle.ts); run before
   * the first set-up, which would otherwise race the server's clean-up.
   */
  settle?: (pause: (ms: number) => Promise<void>, stopped: () => boolean) => Promise<void>;
  retryMinMs?: number;
  retryMaxMs?: number;
  /**
   * The connection: a set-up that failed while it was down is tried again as soon as it is
   * back, not after a pause that doubled through the outage (NATS shutting down tells of
   * its streams as missing first).
   */
  link?: NatsLink;
}

export function createRecovery(options: RecoveryOptions): Recovery {
  const { log, retryMinMs = 500, retryMaxMs = 30_000 } = options;
  let reason: string | undefined;
  let running = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, ms);
    });

  const reconnected = (link: NatsLink) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      void link.connected().then(resolve);
    });

  const run = async () => {
    await options.settle?.(pause, () => stopped);
    let lastProblem: string | undefined;
    for (let attempt = 0; !stopped; attempt++) {
      try {
        await options.setup();
        await options.resumed();
        if (!stopped) log.info({ attempts: attempt + 1 }, "JetStream set up again: consuming");
        reason = undefined;
        return;
      } catch (err) {
        if (stopped) return;
        const problem = coerceError(err).message;
        reason = problem;
        // A missing stream with --no-create-stream lasts until an operator acts: say it
        // once at warn, and the repeats at debug (/readyz keeps saying it meanwhile).
        const level = problem === lastProblem ? "debug" : "warn";
        log[level]({ problem }, `JetStream set-up failed: ${problem}; retrying`);
        lastProblem = problem;
        if (options.link?.isConnected() === false) {
          await reconnected(options.link);
          attempt = -1;
        } else {
          await pause(doublingDelayMs(attempt, retryMinMs, retryMaxMs));
        }
      }
    }
  };

  return {
    reason: () => reason,
    lost(what, ownDoing = false) {
      if (stopped || running) return;
      running = true;
      reason = `${what}; setting JetStream up again`;
      // A nats-server that is stopping may say its streams are missing before it goes.
      const why = ownDoing
        ? ""
        : " (deleted, NATS restarted without its storage, or NATS is stopping)";
      log[ownDoing ? "info" : "warn"](
        { what },
        `${what}${why}: not ready while hookswitch sets up its streams and consumers again`,
      );
      void run().finally(() => (running = false));
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      wake?.();
    },
  };
}

export interface ConsumerWatch {
  /**
   * Resolves at the consumer's next pull request, or rejects after `timeoutMs`; resolves
   * at once once the iterator has ended (restarting-loop.ts reads the consumer again).
   */
  nextPull(timeoutMs: number): Promise<void>;
  /** Resolves once the iterator has ended: the watch has nothing more to tell. */
  ended: Promise<void>;
}

/**
 * Reads a consume() iterator's notifications: a deleted or missing consumer or stream
 * is reported to `lost`; each pull request tells a recovery that consuming resumed.
 */
export function watchConsumerStatus(
  messages: ConsumerMessages,
  where: { stream: string; consumer: string },
  lost: (what: string) => void,
  log: Logger,
): ConsumerWatch {
  const { stream, consumer } = where;
  let pulled: (() => void)[] = [];
  let over = false;
  const ended = (async () => {
    for await (const status of messages.status()) {
      if (status.type === "next") {
        for (const resolve of pulled.splice(0)) resolve();
      } else if (status.type === "consumer_deleted") {
        lost(`consumer ${consumer} on stream ${stream} was deleted`);
      } else if (status.type === "consumer_not_found") {
        lost(`consumer ${consumer} on stream ${stream} not found`);
      } else if (status.type === "stream_not_found") {
        lost(`stream ${stream} not found`);
      } else if (status.type === "heartbeats_missed") {
        // The client then checks whether its consumer still exists (reported above).
        log.debug({ stream, consumer, count: status.count }, "JetStream heartbeats missed");
      }
    }
  })()
    .catch((err: unknown) => log.debug({ err, consumer }, "consumer status watch ended"))
    .finally(() => {
      // A dead iterator pulls no more: a recovery must not wait for it.
      over = true;
      for (const resolve of pulled.splice(0)) resolve();
    });
  return {
    ended,
    nextPull(timeoutMs) {
      if (over) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          pulled = pulled.filter((r) => r !== done);
          reject(new Error(`consumer ${consumer} did not pull again within ${timeoutMs} ms`));
        }, timeoutMs);
        // A wait cut short by shutdown must not hold the process open.
        timer.unref();
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        pulled.push(done);
      });
    },
  };
}

export interface AckFloorWatch {
  /** Where a re-created event consumer should start; set by each set-up. */
  point(): ResumePoint | undefined;
  set(point: ResumePoint): void;
  stop(): void;
}

/**
 * Reads the event consumer's ack floor every `intervalMs`, so that a consumer deleted
 * later can be re-created where it stood: the server forgets it with the consumer. An
 * older reading is safe (events since are delivered again); a missing consumer is lost.
 */
export function watchAckFloor(options: {
  jsm: JetStreamManager;
  stream: string;
  consumer: string;
  intervalMs: number;
  lost: (what: string) => void;
  /** Each reading of the consumer (its backlog for the metrics). */
  read?: (info: ConsumerInfo) => void;
}): AckFloorWatch {
  const { jsm, stream, consumer } = options;
  let current: ResumePoint | undefined;
  const read = async () => {
    const reading = current;
    if (!reading) return;
    try {
      const info = await jsm.consumers.info(stream, consumer);
      if (!isConsumerInfo(info)) {
        options.lost(`consumer ${consumer} on stream ${stream} not found`);
        return;
      }
      options.read?.(info);
      // A set-up in between may have moved to a new stream: keep what it set.
      if (current === reading) {
        current = { ...reading, nextSeq: firstUnacknowledged(info), readAt: Date.now() };
      }
    } catch (err) {
      if (isMissingResource(err))
        options.lost(`consumer ${consumer} on stream ${stream} not found`);
      // Anything else (NATS down): keep the last reading.
    }
  };
  const timer = setInterval(() => void read(), options.intervalMs);
  timer.unref();
  return {
    point: () => current,
    set(point) {
      current = point;
    },
    stop: () => clearInterval(timer),
  };
}
