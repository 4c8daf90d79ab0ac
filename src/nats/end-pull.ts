/**
 * Ends a pull subscription without dropping what the server has already sent.
 *
 * The client's `close()` of a `consume()` or `fetch()` cancels the subscription on the
 * client at once and tells the server afterwards: messages the server sent before it heard
 * of it (a batch is sent as fast as the socket takes it) arrive for no subscription and are
 * dropped. JetStream counts them delivered, so they come back only after the ack wait (30 s
 * by default) — at every stop of a replica in a rolling update, to any replica. Draining
 * the subscription first (unsubscribe on the server, then a round trip) hands every message
 * sent before the unsubscribe to the iterator, where a stopping consumer loop hands it back
 * at once.
 *
 * The subscription is the client's (`@nats-io/jetstream` 3.x keeps it as `sub`, and ends
 * the iterator itself once a draining subscription closes); without one, `close()` alone.
 */
import type { Subscription } from "@nats-io/transport-node";
import { withDeadline } from "../lifecycle.js";

/** The round trip that confirms the server stopped sending; NATS may be down meanwhile. */
const DRAIN_WAIT_MS = 2_000;

export interface PullSource {
  close(): Promise<unknown>;
}

function subscriptionOf(source: PullSource): Subscription | undefined {
  const sub = (source as { sub?: Partial<Subscription> }).sub;
  return typeof sub?.drain === "function" &&
    typeof sub.isClosed === "function" &&
    typeof sub.getSubject === "function" &&
    typeof sub.isDraining === "function"
    ? (sub as Subscription)
    : undefined;
}

/** Where the server answers the source's pull requests, if the client says. */
export function pullInbox(source: PullSource): string | undefined {
  return subscriptionOf(source)?.getSubject();
}

export async function endPull(source: PullSource): Promise<void> {
  const sub = subscriptionOf(source);
  if (sub && !sub.isClosed() && !sub.isDraining()) {
    // A drain that fails or hangs (connection closed or down) leaves close() to end it.
    await withDeadline(
      sub.drain().catch(() => undefined),
      DRAIN_WAIT_MS,
    );
  }
  await source.close();
}
