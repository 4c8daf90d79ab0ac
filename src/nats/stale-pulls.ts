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

/** The status of a pull request that expired with nothing to send. */
const REQUEST_TIMEOUT = 408;

/** A message JetStream sends to a pull request, which an ack subject answers. */
const ACK_SUBJECT = /^\$JS\.ACK\./;

export interface StalePullsOptions {
  nc: NatsConnection;
  /** The ended pull subscription's inbox: the request's inbox is named under it. */
  inbox: string;
  stream: string;
  consumer: string;
}

/**
 * Resolves once the server has answered the request (or after ANSWER_WAIT_MS): true when
 * the answer says the stale requests are gone. The server takes waiting requests in order,
 * and the stale ones came first: it drops them before it sends this request a message, or
 * answers at its expiry that nothing came (408), in the same pass over its waiting requests.
 */
export async function clearStalePulls(options: StalePullsOptions): Promise<boolean> {
  const { nc, stream, consumer } = options;
  if (nc.isClosed()) return false;
  let answered = (_cleared: boolean): void => undefined;
  const answer = new Promise<boolean>((resolve) => (answered = resolve));
  const sub = nc.subscribe(`${options.inbox}.clear`, {
    max: 1,
    callback: (err, msg) => {
      const delivered = !err && isJetStreamMessage(msg);
      if (delivered) msg.respond("-NAK");
      answered(delivered || (!err && msg.headers?.code === REQUEST_TIMEOUT));
    },
  });
  try {
    nc.publish(
      `$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`,
      JSON.stringify({ batch: 1, expires: nanos(REQUEST_EXPIRES_MS) }),
      { reply: sub.getSubject() },
    );
    return (await withDeadline(answer, ANSWER_WAIT_MS)) ?? false;
  } catch {
    // The connection closed meanwhile: its requests went with it.
    return false;
  } finally {
    // A closed connection makes this a no-op (its subscriptions went with it).
    sub.unsubscribe();
  }
}

function isJetStreamMessage(msg: Msg): boolean {
  return msg.reply !== undefined && ACK_SUBJECT.test(msg.reply);
}
