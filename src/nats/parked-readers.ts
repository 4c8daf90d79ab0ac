/**
 * Reads an integration's parked deliveries only when the integration has room, so that a
 * parked delivery is read about once, when it can run, instead of being read and handed
 * back while a slow receiver is busy. Each integration with parked deliveries has a
 * durable consumer of its own; a reader lives while there is something to read.
 */
import type {
  ConsumerMessages,
  JetStreamClient,
  JetStreamManager,
  JsMsg,
} from "@nats-io/jetstream";
import type { Logger } from "pino";
import { DELIVERY_STREAM, waitingFilter } from "./layout.js";
import { waitingByIntegration, type WaitingCounts } from "../delivery/waiting-counts.js";
import type { ConsumerLoop, MessageSource } from "./consumer-loop.js";
import { heartbeatEveryMs } from "./message-loop.js";
import { readAhead } from "./read-ahead.js";
import { endPull } from "./end-pull.js";
import { isMissingResource } from "./recovery.js";
import { ensurePullConsumer, parkedConsumerConfig } from "./durable-consumers.js";
import { PULL_BYTES } from "./pull-size.js";
import { ByteBudget } from "../delivery/concurrency/byte-budget.js";

export interface ParkedReadersOptions {
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** The deployment's event consumer: it namespaces the parked deliveries. */
  consumer: string;
  ackWaitMs: number;
  /** The nats-server's version: it decides whether an unused consumer is left to NATS to remove. */
  serverVersion: string | undefined;
  /** Free slots of the integration now, or a Promise of the next release (`Limiter.whenRoom`). */
  room: (integration: string) => number | Promise<void>;
  /**
   * Free places of the global cap now (`--max-in-flight`). A fetch asks for no more (one at
   * least): what it brings waits for those places, read ahead and held in memory, and with
   * many integrations their free slots together are many times the cap.
   */
  places?: () => number;
  /**
   * The most one parked delivery may weigh (pull-size.ts, `largestMessageBytes`). The server
   * queues at once every message a fetch asks for, and cuts off a client with more than
   * `max_pending` queued; the fetches of all integrations together ask for no more than
   * `PULL_BYTES` of messages this large, which also bounds what is read ahead in memory.
   */
  messageBytes?: number;
  /** Runs the messages read: global slots, heartbeats, acknowledgements. */
  run: (integration: string, messages: MessageSource) => ConsumerLoop;
  log: Logger;
}

export interface ParkedReaders {
  /** Has the integration's parked deliveries read, unless they are being read already. */
  read(integration: string): void;
  /**
   * Reads the integrations with parked deliveries: parked by another replica, or before a
   * restart. Returns the deliveries waiting, parked and retries, by integration.
   */
  discover(): Promise<Map<string, WaitingCounts>>;
  /** Stops reading and waits for the deliveries read. */
  stop(): Promise<void>;
}

/** A pull asks for the integration's free slots and waits this long for them (the minimum). */
const FETCH_EXPIRES_MS = 1_000;
/**
 * Once a full integration frees a slot, wait this long for more to free before pulling:
 * a busy integration frees one every few milliseconds, and a pull per slot would cost
 * about what reading and handing back did.
 */
const GATHER_MS = 5;

export function createParkedReaders(options: ParkedReadersOptions): ParkedReaders {
  const { js, jsm, consumer, log } = options;
  // The sources still reading, by integration; loops whose source ended may still be running.
  const reading = new Map<string, MessageSource | undefined>();
  // Integrations parked into while being read: their reader looks once more before it ends.
  const parkedSince = new Set<string>();
  const loops = new Set<ConsumerLoop>();
  const fetched = options.messageBytes
    ? { budget: new ByteBudget(PULL_BYTES), messageBytes: options.messageBytes }
    : undefined;
  let stopped = false;

  const start = async (integration: string) => {
    // Ensured at every start: NATS removes a consumer left unused for an hour.
    const config = parkedConsumerConfig({
      consumer,
      integration,
      ackWaitMs: options.ackWaitMs,
      serverVersion: options.serverVersion,
    });
    await ensurePullConsumer(jsm, DELIVERY_STREAM, config);
    const parked = await js.consumers.get(DELIVERY_STREAM, config.durable_name);
    const source = paceByRoom({
      fetch: (max) => parked.fetch({ max_messages: max, expires: FETCH_EXPIRES_MS }),
      room: () => options.room(integration),
      places: options.places,
      fetched,
      more: () => parkedSince.delete(integration),
      keepAliveEveryMs: heartbeatEveryMs(options.ackWaitMs),
      onEnd: () => {
        if (reading.get(integration) === source) reading.delete(integration);
      },
    });
    if (stopped) return;
    reading.set(integration, source);
    const loop = options.run(integration, source);
    loops.add(loop);
    // Kept until its acks are out: a stop while NATS is down waits for them (consumer-loop.ts).
    void loop
      .done()
      .then(() => loop.sent())
      .then(() => loops.delete(loop));
  };

  const read = (integration: string) => {
    if (stopped) return;
    if (reading.has(integration)) {
      parkedSince.add(integration);
      return;
    }
    reading.set(integration, undefined); // starting
    start(integration).catch((err: unknown) => {
      // The deliveries stay stored; the next park or look for parked work tries again.
      reading.delete(integration);
      if (stopped) return;
      // A missing stream is being set up again (recovery.ts), which says so once.
      if (isMissingResource(err))
        log.debug({ err, integration }, "parked deliveries not readable yet");
      else log.warn({ err, integration }, "cannot read parked deliveries yet");
    });
  };

  return {
    read,
    async discover() {
      const info = await jsm.streams.info(DELIVERY_STREAM, {
        subjects_filter: waitingFilter(consumer),
      });
      const waiting = waitingByIntegration(info.state.subjects ?? {});
      for (const [integration, { parked }] of waiting) if (parked > 0) read(integration);
      return waiting;
    },
    async stop() {
      stopped = true;
      await Promise.all([...loops].map((loop) => loop.stop()));
    },
  };
}

/** What `paceByRoom` pulls from, and asks before it pulls. */
interface PacingOptions {
  fetch: (max: number) => Promise<ConsumerMessages>;
  room: () => number | Promise<void>;
  places: (() => number) | undefined;
  /** Bytes the readers' fetches may ask for together, and what one message counts for. */
  fetched: { budget: ByteBudget; messageBytes: number } | undefined;
  /** Whether more was parked since the last look (and forgets it). */
  more: () => boolean;
  /** How often the messages fetched and not taken yet are kept alive (read-ahead.ts). */
  keepAliveEveryMs: number;
  onEnd: () => void;
}

/**
 * Pulls only as many messages as the integration has free slots (and the global cap free
 * places), and none while it has none; ends when a pull comes back short, unless `more`
 * says something was parked since.
 */
function paceByRoom(options: PacingOptions): MessageSource {
  return new RoomPacedSource(options);
}

/** `close` ends a wait for room or bytes, and the pull under way (end-pull.ts). */
class RoomPacedSource implements MessageSource {
  readonly #options: PacingOptions;
  #closed = false;
  #wakeUp: (() => void) | undefined;
  #current: ConsumerMessages | undefined;
  #closing = (): void => undefined;
  readonly #closedWait: Promise<void>;

  constructor(options: PacingOptions) {
    this.#options = options;
    this.#closedWait = new Promise<void>((resolve) => (this.#closing = resolve));
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<JsMsg> {
    const options = this.#options;
    try {
      while (!this.#closed) {
        const free = await this.#freeSlots();
        if (this.#closed) return;
        const asked = await this.#askFor(free);
        if (asked === 0) return;
        let read = 0;
        try {
          this.#current = await options.fetch(asked);
          for await (const msg of readAhead(this.#current, options.keepAliveEveryMs)) {
            read++;
            // Taken by the loop, it waits no more in this fetch: its place in progress bounds it.
            this.#giveBack(1);
            yield msg;
          }
        } finally {
          this.#giveBack(asked - read);
        }
        this.#current = undefined;
        // Checked and ended in one step: a park seen after this starts a new reader.
        if (read < asked && !options.more()) return;
      }
    } finally {
      options.onEnd();
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#closing();
    this.#wakeUp?.();
    if (this.#current) await endPull(this.#current);
  }

  /** Free slots, once there are some; 0 when closed while waiting. */
  async #freeSlots(): Promise<number> {
    for (;;) {
      const free = this.#options.room();
      if (typeof free === "number") return free;
      await new Promise<void>((resolve) => {
        this.#wakeUp = resolve;
        void free.then(() => setTimeout(resolve, GATHER_MS));
      });
      if (this.#closed) return 0;
    }
  }

  /** How many to ask for, their bytes taken: 0 when closed meanwhile. */
  async #askFor(free: number): Promise<number> {
    const asked = Math.max(1, Math.min(free, this.#options.places?.() ?? free));
    const { fetched } = this.#options;
    if (!fetched) return asked;
    const bounded = Math.max(
      1,
      Math.min(asked, Math.floor(fetched.budget.limit / fetched.messageBytes)),
    );
    const bytes = bounded * fetched.messageBytes;
    const turn = fetched.budget.take(bytes);
    if (turn) await Promise.race([turn, this.#closedWait]);
    if (!this.#closed) return bounded;
    // Its turn comes later still: what it takes then goes back at once.
    if (turn) void turn.then(() => fetched.budget.give(bytes));
    else fetched.budget.give(bytes);
    return 0;
  }

  /** Gives back the bytes of messages asked for that wait in a fetch no more. */
  #giveBack(messages: number): void {
    const { fetched } = this.#options;
    if (messages > 0) fetched?.budget.give(messages * fetched.messageBytes);
  }
}
