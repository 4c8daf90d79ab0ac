/**
 * Has nats-server drop a stopped loop's pull requests at once.
 *
 * Ending a pull subscription unsubscribes, but nats-server keeps its pull requests until they
 * expire (pull-size.ts: 3 s) or until it next looks at the waiting requests, which it does
 * when a request comes or expires, or when it has a message to send. nats-server 2.9, handing
 * out a message again (a retry whose delay ends, a message handed back) while the only
 * requests waiting are such stale ones, drops them and mishandles the message: it waits for
 * the ack wait, and the consumer's last message is delivered again as new. So a retry coming
 * due within a second or so of a clean stop (while the stop finished other work) came 30 s
 * late, and another delivery was sent twice.
 *
 * So once its pull subscription has ended, a stop asks for one message, with a short expiry,
 * on an inbox of its own. The server then drops the stale requests, nobody listening to them;
 * until it has, a message it hands out goes to that request (or another replica's) instead.
 * What the request gets is handed back at once. Listening on the stale requests instead would
 * keep them alive: in a rolling update they took the next events from the replicas still
 * running, each handed back to wait for their expiry.
 */
import { nanos, type Msg, type NatsConnection } from "@nats-io/transport-node";
import { withDeadline } from "../lifecycle.js";

/** The request's expiry: the server looks at its waiting requests then, if not before. */
const REQUEST_EXPIRES_MS = 100;
/** How long a stop waits for the request's answer; NATS may be slow or down meanwhile. */
const ANSWER_WAIT_MS = 1_000;

/** A message JetStream sends to a pull request, which an ack subject answers. */
const ACK_SUBJECT = /^\$JS\.ACK\./;

export interface StalePullsOptions {
  nc: NatsConnection;
  /** The ended pull subscription's inbox: the request's inbox is named under it. */
  inbox: string;
  stream: string;
  consumer: string;
}

/** Resolves once the server has answered the request (or after ANSWER_WAIT_MS). */
export async function clearStalePulls(options: StalePullsOptions): Promise<void> {
  const { nc, stream, consumer } = options;
  if (nc.isClosed()) return;
  let answered = (): void => undefined;
  const answer = new Promise<void>((resolve) => (answered = resolve));
  const sub = nc.subscribe(`${options.inbox}.clear`, {
    max: 1,
    callback: (err, msg) => {
      if (!err && isJetStreamMessage(msg)) msg.respond("-NAK");
      answered();
    },
  });
  try {
    nc.publish(
      `$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`,
      JSON.stringify({ batch: 1, expires: nanos(REQUEST_EXPIRES_MS) }),
      { reply: sub.getSubject() },
    );
    await withDeadline(answer, ANSWER_WAIT_MS);
  } catch {
    // The connection closed meanwhile: its requests went with it.
  } finally {
    // A closed connection makes this a no-op (its subscriptions went with it).
    sub.unsubscribe();
  }
}

function isJetStreamMessage(msg: Msg): boolean {
  return msg.reply !== undefined && ACK_SUBJECT.test(msg.reply);
}
