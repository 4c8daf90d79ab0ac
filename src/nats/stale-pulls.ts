/**
 * Answers a stopped loop's pull requests until they expire.
 *
 * Ending a pull subscription unsubscribes, but nats-server keeps its pull requests until they
 * expire (pull-size.ts: 3 s). nats-server 2.9, giving such a request a message it hands out
 * again (a retry whose delay ends, a message handed back) while nobody listens, keeps that
 * message for the ack wait and delivers the consumer's last message again as new: a retry
 * coming due within those seconds of a clean stop was late by 30 s, and another delivery
 * was sent twice. A new message meeting the request is lost on the way until the ack wait.
 *
 * So a stop listens on the pull's inbox with a subscription of its own, made before the
 * pull's is ended, and hands back whatever the server sends there, with a delay that
 * outlasts the requests. It listens until they expire only when the consumer has messages
 * to send or waiting to come due; otherwise nothing can meet them, and the stop goes on.
 */
import type { JetStreamManager } from "@nats-io/jetstream";
import { nanos, type Msg, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { withDeadline } from "../lifecycle.js";

/** How long a stop waits for the consumer's state; NATS may be slow or down meanwhile. */
const STATE_WAIT_MS = 1_000;
/** Past the requests' expiry: a request sent just before the stop reached the server later. */
const EXPIRY_MARGIN_MS = 250;

/** A message JetStream sends to a pull request, which an ack subject answers. */
const ACK_SUBJECT = /^\$JS\.ACK\./;

export interface StalePullsOptions {
  nc: NatsConnection;
  /** The pull subscription's inbox, where the server answers its requests. */
  inbox: string;
  /** When the loop stopped pulling: its last request expires within PULL_EXPIRES_MS. */
  expiresAt: number;
  /** The delay for a message handed back now: past the requests' expiry. */
  handBackDelayMs: () => number;
  /** Whether the consumer has messages to send or handed out and unacknowledged. */
  hasMessages: () => Promise<boolean>;
}

export interface StalePullHold {
  /**
   * Ends the hold: once the requests have expired if the consumer may send meanwhile, at
   * once otherwise, or when `givenUp` aborts.
   */
  release(givenUp?: AbortSignal): Promise<void>;
  /** Messages handed back so far. */
  readonly handedBack: number;
}

export function holdStalePulls(options: StalePullsOptions): StalePullHold {
  let handedBack = 0;
  const sub = options.nc.subscribe(options.inbox, {
    callback: (err, msg) => {
      if (err || !isJetStreamMessage(msg)) return;
      const delay = Math.max(1, Math.ceil(options.handBackDelayMs()));
      msg.respond(`-NAK ${JSON.stringify({ delay: nanos(delay) })}`);
      handedBack++;
    },
  });
  return {
    get handedBack() {
      return handedBack;
    },
    async release(givenUp) {
      try {
        const leftMs = options.expiresAt + EXPIRY_MARGIN_MS - Date.now();
        if (leftMs > 0 && !givenUp?.aborted && (await mayMeetRequests(options))) {
          await until(leftMs, givenUp);
        }
      } finally {
        unsubscribe(sub);
      }
    },
  };
}

/** Whether a consumer has messages to send, or handed out and not yet acknowledged. */
export async function consumerHasMessages(
  jsm: JetStreamManager,
  stream: string,
  consumer: string,
): Promise<boolean> {
  const info = await jsm.consumers.info(stream, consumer);
  return info.num_pending > 0 || info.num_ack_pending > 0;
}

function isJetStreamMessage(msg: Msg): boolean {
  return msg.reply !== undefined && ACK_SUBJECT.test(msg.reply);
}

async function mayMeetRequests(options: StalePullsOptions): Promise<boolean> {
  if (options.nc.isClosed()) return false;
  // No answer in time (NATS down or slow): the requests may meet a message; wait them out.
  const answer = await withDeadline(
    options.hasMessages().catch(() => true),
    STATE_WAIT_MS,
  );
  return answer ?? true;
}

function until(ms: number, givenUp: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      givenUp?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    givenUp?.addEventListener("abort", done, { once: true });
  });
}

function unsubscribe(sub: Subscription): void {
  try {
    sub.unsubscribe();
  } catch {
    // The connection closed meanwhile: the subscription went with it.
  }
}
