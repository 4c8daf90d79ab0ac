/**
 * JetStream publishes that resolve once the stream has stored the message, with every
 * acknowledgement arriving on one shared reply subscription.
 *
 * The JetStream client's `publish` makes each call a request of its own: a timer, a race
 * of two promises and an error object built on every success. Parking deliveries of a slow
 * integration publishes once per event, and that bookkeeping cost more than half of each
 * publish. Here a publish is a map entry, and one sweep ends those that go unanswered.
 *
 * While the connection is down a publish waits for it (held-writes.ts): the client would
 * take it, drop it at the reconnect, and leave it to time out, and after four such tries
 * the record's event would be handed back whole, its webhooks sent again. Its time starts
 * once it is written.
 */
import {
  createInbox,
  headers,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from "@nats-io/transport-node";
import { NoStreamError } from "../errors.js";
import type { NatsLink } from "./connection.js";
import { createHeldWrites, type HeldWrites } from "./held-writes.js";
import { watchRefusals } from "./publish-refusals.js";

/** A message JetStream did not confirm as stored: the caller should keep (or hand back) it. */
export class PublishError extends Error {
  override name = "PublishError";
}

/** JetStream answered, and did not store the message: out of storage, or the stream full. */
export class JetStreamRefusalError extends PublishError {
  override name = "JetStreamRefusalError";
}

export interface StoredPublisher {
  /**
   * Resolves once a stream stored the message (or had stored it already under `msgId`).
   * `extraHeaders` travel with the message beside its `Nats-Msg-Id`.
   */
  publish(
    subject: string,
    data: string | Uint8Array,
    msgId: string,
    extraHeaders?: Readonly<Record<string, string>>,
  ): Promise<void>;
  /** Rejects what is still waiting and stops listening for acknowledgements. */
  close(): void;
  /** Publishes waiting for a connection that is down. */
  readonly held: number;
}

interface Waiting {
  resolve(): void;
  reject(error: Error): void;
  subject: string;
  sentAt: number;
}

interface PubAck {
  stream?: string;
  error?: { code?: number; description?: string };
}

interface PublisherOptions {
  timeoutMs?: number;
  now?: () => number;
  inboxPrefix?: string;
  link?: NatsLink;
}

const DEFAULT_TIMEOUT_MS = 5_000;
const RELISTEN_MS = 1_000;

export function createStoredPublisher(
  nc: NatsConnection,
  options: PublisherOptions = {},
): StoredPublisher {
  return new SharedInboxPublisher(nc, options);
}

/** Each publish waits in `#waiting` under a token, the last part of its reply subject. */
class SharedInboxPublisher implements StoredPublisher {
  readonly #nc: NatsConnection;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  readonly #prefix: string;
  // In publish order, which with one timeout for all is also deadline order.
  readonly #waiting = new Map<string, Waiting>();
  #sequence = 0;
  #sweep: NodeJS.Timeout | undefined;
  readonly #writes: HeldWrites;
  // Once set, publishes still held (for a connection that is down) reject with it.
  #ended: Error | undefined;
  #closed = false;
  #relisten: NodeJS.Timeout | undefined;
  #subscription: Subscription;
  readonly #refusals: { stop(): void };

  constructor(nc: NatsConnection, options: PublisherOptions) {
    this.#nc = nc;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#now = options.now ?? (() => performance.now());
    // Under the connection's own prefix, which the user's permissions allow.
    this.#prefix = createInbox(options.inboxPrefix);
    // The parks of one turn (one per event of a slow integration) leave in one socket write.
    this.#writes = createHeldWrites({ holdMs: 0, link: options.link });
    this.#subscription = this.#listen();
    void nc
      .closed()
      .then(() => this.#rejectEverything(new PublishError("the NATS connection closed")));
    this.#refusals = watchRefusals(nc, this.#rejectRefused);
  }

  publish(
    subject: string,
    data: string | Uint8Array,
    msgId: string,
    extraHeaders?: Readonly<Record<string, string>>,
  ): Promise<void> {
    // Closed: a write held now would wait for a connection that never comes back.
    if (this.#ended) return Promise.reject(this.#ended);
    return new Promise<void>((resolve, reject) => {
      this.#writes.add(() => this.#send(subject, data, msgId, extraHeaders, resolve, reject));
    });
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#relisten);
    this.#writes.flush();
    this.#subscription.unsubscribe();
    this.#refusals.stop();
    this.#rejectEverything(new PublishError("the publisher closed"));
  }

  get held(): number {
    return this.#writes.size;
  }

  /** Writes a held publish, and from then on waits for its acknowledgement. */
  #send(
    subject: string,
    data: string | Uint8Array,
    msgId: string,
    extraHeaders: Readonly<Record<string, string>> | undefined,
    resolve: () => void,
    reject: (error: Error) => void,
  ): void {
    if (this.#ended) return reject(this.#ended);
    const token = String(++this.#sequence);
    const sent = storedHeaders(msgId, extraHeaders);
    try {
      this.#nc.publish(subject, data, { reply: `${this.#prefix}.${token}`, headers: sent });
    } catch (error) {
      reject(new PublishError(`could not publish to ${subject}`, { cause: error }));
      return;
    }
    this.#waiting.set(token, { resolve, reject, subject, sentAt: this.#now() });
    this.#sweep ??= setInterval(this.#expire, Math.max(10, this.#timeoutMs / 4)).unref();
  }

  #settle(token: string, error: Error | undefined): void {
    const entry = this.#waiting.get(token);
    if (!entry) return; // answered after its deadline: already rejected
    this.#waiting.delete(token);
    if (error) entry.reject(error);
    else entry.resolve();
  }

  #listen(): Subscription {
    return this.#nc.subscribe(`${this.#prefix}.*`, { callback: this.#onReply });
  }

  readonly #onReply = (error: Error | null, msg: Msg): void => {
    if (error) return this.#onListenEnded(error);
    const token = msg.subject.slice(this.#prefix.length + 1);
    this.#settle(token, refusal(msg, this.#waiting.get(token)?.subject));
  };

  // NATS ends the subscription when it refuses it (a reload of its permissions took the
  // inbox away): listen again, so that acknowledgements come once it is allowed again.
  #onListenEnded(error: Error): void {
    this.#rejectAll(
      new PublishError("could not receive JetStream acknowledgements", { cause: error }),
    );
    if (this.#mayListen()) this.#relisten ??= setTimeout(this.#listenAgain, RELISTEN_MS);
  }

  readonly #listenAgain = (): void => {
    this.#relisten = undefined;
    if (this.#mayListen()) this.#subscription = this.#listen();
  };

  #mayListen(): boolean {
    return !this.#closed && !this.#nc.isClosed();
  }

  /** Rejects the publishes unanswered for the timeout; the sweep stops once none wait. */
  readonly #expire = (): void => {
    const deadline = this.#now() - this.#timeoutMs;
    for (const [token, entry] of this.#waiting) {
      if (entry.sentAt > deadline) break;
      this.#settle(
        token,
        new PublishError(
          `no acknowledgement from JetStream within ${this.#timeoutMs} ms: is NATS overloaded or unreachable?`,
        ),
      );
    }
    if (this.#waiting.size === 0) {
      clearInterval(this.#sweep);
      this.#sweep = undefined;
    }
  };

  #rejectAll(error: Error): void {
    for (const token of [...this.#waiting.keys()]) this.#settle(token, error);
  }

  /** The end: what waits, written or held, rejects, and so does every publish after. */
  #rejectEverything(error: Error): void {
    this.#ended ??= error;
    this.#writes.release();
    this.#rejectAll(error);
  }

  readonly #rejectRefused = (subject: string, error: Error): void => {
    const refused = new PublishError(`NATS refused publishing to ${subject}`, { cause: error });
    for (const [token, entry] of [...this.#waiting]) {
      if (entry.subject === subject) this.#settle(token, refused);
    }
  };
}

/** A publish's headers: its `Nats-Msg-Id`, and the caller's beside it. */
function storedHeaders(
  msgId: string,
  extraHeaders: Readonly<Record<string, string>> | undefined,
): MsgHdrs {
  const sent = headers();
  sent.set("Nats-Msg-Id", msgId);
  for (const name in extraHeaders) sent.set(name, extraHeaders[name]!);
  return sent;
}

/** Why a reply is not a stored-acknowledgement, or undefined when it is one. */
function refusal(msg: Msg, subject: string | undefined): Error | undefined {
  // No responders: no stream listens on the subject. The caller has it set up again.
  if (msg.headers?.code === 503 && msg.data.length === 0) {
    return new NoStreamError(subject ?? "the subject", undefined);
  }
  let ack: PubAck;
  try {
    ack = msg.json<PubAck>();
  } catch (error) {
    return new PublishError("unreadable JetStream acknowledgement", { cause: error });
  }
  if (ack.error) {
    return new JetStreamRefusalError(
      `JetStream refused the message: ${ack.error.description ?? `code ${ack.error.code}`}`,
    );
  }
  return ack.stream ? undefined : new PublishError("JetStream acknowledgement without a stream");
}
