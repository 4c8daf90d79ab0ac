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
  type NatsConnection,
  type Subscription,
} from "@nats-io/transport-node";
import { NoStreamError } from "../errors.js";
import type { NatsLink } from "./connection.js";
import { createHeldWrites } from "./held-writes.js";
import { refusedSubject } from "./permission-advice.js";

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

const DEFAULT_TIMEOUT_MS = 5_000;
const RELISTEN_MS = 1_000;

export function createStoredPublisher(
  nc: NatsConnection,
  options: { timeoutMs?: number; now?: () => number; inboxPrefix?: string; link?: NatsLink } = {},
): StoredPublisher {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const now = options.now ?? (() => performance.now());
  // Under the connection's own prefix, which the user's permissions allow.
  const prefix = createInbox(options.inboxPrefix);
  // In publish order, which with one timeout for all is also deadline order.
  const waiting = new Map<string, Waiting>();
  let sequence = 0;
  let sweep: NodeJS.Timeout | undefined;
  // The parks of one turn (one per event of a slow integration) leave in one socket write.
  const writes = createHeldWrites({ holdMs: 0, link: options.link });
  // Once set, publishes still held (for a connection that is down) reject with it.
  let ended: Error | undefined;

  const settle = (token: string, error: Error | undefined) => {
    const entry = waiting.get(token);
    if (!entry) return; // answered after its deadline: already rejected
    waiting.delete(token);
    if (error) entry.reject(error);
    else entry.resolve();
  };

  let closed = false;
  // NATS ends the subscription when it refuses it (a reload of its permissions took the
  // inbox away): listen again, so that acknowledgements come once it is allowed again.
  const listen = (): Subscription =>
    nc.subscribe(`${prefix}.*`, {
      callback: (error, msg) => {
        if (error) {
          rejectAll(
            new PublishError("could not receive JetStream acknowledgements", { cause: error }),
          );
          if (!closed && !nc.isClosed()) relisten ??= setTimeout(listenAgain, RELISTEN_MS);
          return;
        }
        const token = msg.subject.slice(prefix.length + 1);
        settle(token, refusal(msg, waiting.get(token)?.subject));
      },
    });
  let relisten: NodeJS.Timeout | undefined;
  const listenAgain = () => {
    relisten = undefined;
    if (!closed && !nc.isClosed()) subscription = listen();
  };
  let subscription = listen();

  const expire = () => {
    const deadline = now() - timeoutMs;
    for (const [token, entry] of waiting) {
      if (entry.sentAt > deadline) break;
      settle(
        token,
        new PublishError(
          `no acknowledgement from JetStream within ${timeoutMs} ms: is NATS overloaded or unreachable?`,
        ),
      );
    }
    if (waiting.size === 0) {
      clearInterval(sweep);
      sweep = undefined;
    }
  };

  const rejectAll = (error: Error) => {
    for (const token of [...waiting.keys()]) settle(token, error);
  };
  const rejectEverything = (error: Error) => {
    ended ??= error;
    writes.release();
    rejectAll(error);
  };
  void nc.closed().then(() => rejectEverything(new PublishError("the NATS connection closed")));
  const refusals = watchRefusals(nc, (subject, error) => {
    const refused = new PublishError(`NATS refused publishing to ${subject}`, { cause: error });
    for (const [token, entry] of [...waiting]) {
      if (entry.subject === subject) settle(token, refused);
    }
  });

  return {
    publish(subject, data, msgId, extraHeaders) {
      // Closed: a write held now would wait for a connection that never comes back.
      if (ended) return Promise.reject(ended);
      return new Promise<void>((resolve, reject) => {
        writes.add(() => {
          if (ended) return reject(ended);
          const token = String(++sequence);
          const sent = headers();
          sent.set("Nats-Msg-Id", msgId);
          for (const name in extraHeaders) sent.set(name, extraHeaders[name]!);
          try {
            nc.publish(subject, data, { reply: `${prefix}.${token}`, headers: sent });
          } catch (error) {
            reject(new PublishError(`could not publish to ${subject}`, { cause: error }));
            return;
          }
          waiting.set(token, { resolve, reject, subject, sentAt: now() });
          sweep ??= setInterval(expire, Math.max(10, timeoutMs / 4)).unref();
        });
      });
    },
    close() {
      closed = true;
      clearTimeout(relisten);
      writes.flush();
      subscription.unsubscribe();
      refusals.stop();
      rejectEverything(new PublishError("the publisher closed"));
    },
    get held() {
      return writes.size;
    },
  };
}

/**
 * A publish NATS refuses (the user lacks the permission) is never answered: the server
 * tells the connection instead, naming the subject. Those waiting on it fail at once, with
 * that reason, rather than at the timeout as if NATS were slow.
 */
function watchRefusals(
  nc: NatsConnection,
  refuse: (subject: string, error: Error) => void,
): { stop(): void } {
  const iterator = nc.status()[Symbol.asyncIterator]();
  const loop = async () => {
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      if (next.value.type !== "error") continue;
      const refused = refusedSubject(next.value.error);
      if (refused?.operation === "publish") refuse(refused.subject, next.value.error);
    }
  };
  void loop().catch(() => undefined);
  return { stop: () => void iterator.return?.() };
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
