/**
 * How much the event and delivery loops ask nats-server for at once. The server queues every
 * message of a pull request for the connection at once, and cuts off a client with more than
 * `max_pending` bytes queued (64 MiB unless configured) as a slow consumer; the messages then
 * on their way come again only after the ack wait, each with a delivery used up. A pull bounded
 * by bytes cannot get there, whatever the size of the messages.
 *
 * The NATS client bounds a pull by bytes or by count, not both, and by bytes it asks for at
 * most 100 messages. It asks for more before a pull has ended at its count, offering only the
 * bytes received since: a message larger than that (one of hundreds of KiB after a run of
 * small ones) ends the new pull unanswered, and the client waits for two missed heartbeats
 * before it asks again. Heartbeats every 500 ms keep that stall near 1.5 s (4.5 s at the
 * default); nats-server before 2.10 does not even say when a pull ended at its count. So a
 * pull is bounded by bytes from 2.10 on, when 100 messages at once are not more than the loop
 * would ask for by count. Otherwise it is bounded by count, and that count by bytes too: no
 * more messages than a loop's share of `max_pending` holds at the largest that hookswitch
 * delivers (`--max-event-size`); large-messages.ts warns of larger ones, which are only
 * dead-lettered.
 */
import type { ConsumeOptions } from "@nats-io/jetstream";
import { tellsBatchCompleted } from "./server-version.js";

/** nats-server's default `max_pending`. */
const SERVER_MAX_PENDING = 64 * 1024 * 1024;
/** The most messages the client asks for at once when a pull is bounded by bytes. */
const BYTES_PULL_MESSAGES = 100;
/**
 * Of `max_pending`, what the pulls of one loop may fill: the event and delivery loops share
 * one connection with the parked deliveries' reads, so each gets a third.
 */
export const PULL_BYTES = Math.floor(SERVER_MAX_PENDING / 3);
/** Room past the server's largest payload for a message's subject and reply subject. */
const SUBJECT_ROOM_BYTES = 4_096;
/** Room past its event in a parked delivery's record: its names, ids, times and attempts. */
const RECORD_ROOM_BYTES = 16 * 1024;
/**
 * How long the server keeps a pull request (the client's default is 30 s): short, so that a
 * message handed back at shutdown waits little for the stale requests to expire
 * (consumer-loop.ts). Idle, it costs a pull request and two heartbeats per consumer every 3 s.
 * The parked readers' fetches expire sooner (1 s).
 */
export const PULL_EXPIRES_MS = 3_000;

/**
 * Messages asked for per place of `--max-in-flight` when bounded by count: pull requests are
 * NATS round trips of their own, so a few slots' worth.
 */
export const MESSAGES_PER_PLACE = 4;
/** The least `--max-in-flight` whose pulls are bounded by bytes (from nats-server 2.10 on). */
export const BYTES_PULL_MIN_IN_FLIGHT = Math.ceil(BYTES_PULL_MESSAGES / MESSAGES_PER_PLACE);

/** How many messages a loop asks for at once when bounded by count. */
export function pullBatch(maxInFlight: number): number {
  return Math.min(256, MESSAGES_PER_PLACE * maxInFlight);
}

/** The least the client takes: a stall after a pull ended unanswered lasts three of them. */
const BYTES_PULL_HEARTBEAT_MS = 500;

export type PullSize = { messages: number } | { bytes: number };

export function pullSize(options: {
  maxInFlight: number;
  /** nats-server's version, from its INFO. */
  serverVersion: string | undefined;
  /** nats-server's `max_payload`: a pull must have room for its largest message. */
  maxPayload: number;
  /** The largest message hookswitch delivers from (`largestMessageBytes`). */
  messageBytes: number;
}): PullSize {
  if (
    options.maxInFlight < BYTES_PULL_MIN_IN_FLIGHT ||
    !tellsBatchCompleted(options.serverVersion)
  ) {
    // 256 events of 960 KiB would be 240 MiB queued at once: past max_pending, and all in memory.
    const fit = Math.floor(PULL_BYTES / options.messageBytes);
    return { messages: Math.max(1, Math.min(pullBatch(options.maxInFlight), fit)) };
  }
  return { bytes: Math.max(PULL_BYTES, options.maxPayload + SUBJECT_ROOM_BYTES) };
}

/**
 * The client's options for a pull of this size. More is asked for when a quarter is left: the
 * client's default asks again when three quarters are still to come, a pull request (a write
 * and a server round trip) for every quarter.
 */
export function consumeOptions(size: PullSize): ConsumeOptions {
  if ("messages" in size) {
    return {
      max_messages: size.messages,
      threshold_messages: Math.floor(size.messages / 4),
      expires: PULL_EXPIRES_MS,
    };
  }
  // The client reads threshold_messages in bytes mode too; its types leave it out there.
  const options: ConsumeOptions & { threshold_messages: number } = {
    max_bytes: size.bytes,
    threshold_bytes: Math.floor(size.bytes / 4),
    threshold_messages: Math.floor(BYTES_PULL_MESSAGES / 4),
    expires: PULL_EXPIRES_MS,
    idle_heartbeat: BYTES_PULL_HEARTBEAT_MS,
  };
  return options;
}

/**
 * The most a message hookswitch delivers from weighs: an event no larger than
 * `--max-event-size` (larger ones are dead-lettered), or a retry's or parked delivery's record
 * around one, and no more than the server takes in one message. Pulls by count ask for no more
 * than `PULL_BYTES` of such messages at once, and so do the parked readers' fetches together,
 * the share of `max_pending` left by the two loops.
 */
export function largestMessageBytes(options: {
  maxPayload: number;
  maxEventBytes: number;
}): number {
  return Math.min(
    options.maxPayload + SUBJECT_ROOM_BYTES,
    options.maxEventBytes + RECORD_ROOM_BYTES,
  );
}
