/**
 * Where the event consumer starts again after hookswitch deleted it on purpose (to change its
 * filter: durable-consumers.ts, consumer-guard.ts), kept on NATS rather than in memory.
 *
 * Between that deletion and the creation that follows, the start lived only in the process:
 * a replica stopped or killed there (a rollout that changes --subjects stops replicas while
 * they do this) left no consumer, and the next start created one per `--deliver new`, past
 * every event not yet acknowledged. So the start is written first, as a consumer of its own
 * beside the event consumer (`<consumer>_bookmark`, never read from: a consumer's start is
 * the one thing NATS keeps that every hookswitch can read and nobody has to clean up), and
 * removed once the event consumer exists again. A set-up that finds the event consumer
 * missing and a bookmark beside it creates the consumer at the bookmark.
 *
 * Not on a work-queue stream: NATS refuses a second consumer of the same subjects there,
 * and a work queue needs no start (it holds only events not acknowledged).
 */
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  type JetStreamManager,
} from "@nats-io/jetstream";
import { randomBytes } from "node:crypto";
import { nanos } from "@nats-io/transport-node";
import { consumerInfoOrNull, type DurableConsumerConfig } from "./durable-consumers.js";
import { NatsSetupError } from "../errors.js";
import { isApiError, asSetupStep } from "./streams.js";

export const bookmarkName = (consumer: string) => `${consumer}_bookmark`;

/** A bookmark left by a replica that never came back is removed by NATS after a week. */
const BOOKMARK_IDLE_MS = 7 * 24 * 60 * 60_000;

const description = (consumer: string) =>
  `hookswitch: where consumer ${consumer} starts when created again (hookswitch deleted it ` +
  `to change its filter); removed once it exists`;

/** Where a consumer starts: the fields a bookmark keeps. */
export type ConsumerStart = Pick<
  DurableConsumerConfig,
  "deliver_policy" | "opt_start_seq" | "opt_start_time"
>;

/**
 * A bookmark as read or written: its start, and the token of the set-up that wrote it. A
 * set-up removes only the bookmark it read or wrote: another replica's, written meanwhile for
 * a deletion of its own, must stand until that replica has created the consumer again.
 */
export interface Bookmark {
  start: ConsumerStart;
  token: string;
  /** When NATS stored it (ms since the epoch, the server's clock). */
  createdAt: number;
}

/**
 * A bookmark beside a consumer that exists is another replica's, written a moment before it
 * deletes the consumer (it must stand), or left by a stop right after a creation (stale,
 * and its start earlier than the consumer's: if used, events are sent again, none skipped).
 * A deletion follows the writing within seconds: one this old is stale.
 */
const STALE_BOOKMARK_MS = 5 * 60_000;

export const isStale = (bookmark: Bookmark, now = Date.now()) =>
  now - bookmark.createdAt > STALE_BOOKMARK_MS;

/**
 * Writes where `config`'s consumer starts when it is created again, in place of an older
 * bookmark. Refuses a consumer of the bookmark's name that hookswitch did not write (another
 * deployment's `--consumer`): deleting or updating it would take that deployment's events.
 */
export async function writeBookmark(
  jsm: JetStreamManager,
  stream: string,
  config: DurableConsumerConfig,
): Promise<Bookmark> {
  const consumer = config.durable_name;
  const name = bookmarkName(consumer);
  const found = await findBookmark(jsm, stream, consumer);
  if (found === "foreign") {
    throw new NatsSetupError(
      `cannot change the filter of consumer ${consumer} on ${stream}: hookswitch keeps where ` +
        `it starts again in a consumer named ${name}, and a consumer of that name exists ` +
        `that hookswitch did not write (another deployment's --consumer?); give one of them ` +
        `another name`,
    );
  }
  // A start cannot be updated: an older bookmark goes (this one starts no later: its start
  // is the consumer's first event not acknowledged, read after the other was written).
  if (found !== undefined) await dropBookmark(jsm, stream, consumer, found.token);
  const start = startOf(config);
  const token = randomBytes(6).toString("hex");
  const info = await asSetupStep(
    `write where consumer ${consumer} on ${stream} starts again (${name})`,
    () =>
      jsm.consumers.add(stream, {
        durable_name: name,
        description: `${description(consumer)} [${token}]`,
        ack_policy: AckPolicy.Explicit,
        ...start,
        // Its own subjects only: on a stream with interest retention, a bookmark holds what
        // it could read until it is removed.
        ...(config.filter_subject ? { filter_subject: config.filter_subject } : {}),
        ...(config.filter_subjects ? { filter_subjects: config.filter_subjects } : {}),
        inactive_threshold: nanos(BOOKMARK_IDLE_MS),
      }),
  );
  return { start, token, createdAt: Date.parse(info.created) };
}

/** The bookmark beside `consumer`; undefined when there is none. */
export async function readBookmark(
  jsm: JetStreamManager,
  stream: string,
  consumer: string,
): Promise<Bookmark | undefined> {
  const found = await findBookmark(jsm, stream, consumer);
  return found === "foreign" ? undefined : found;
}

/** "foreign" for a consumer of the bookmark's name that hookswitch did not write. */
async function findBookmark(
  jsm: JetStreamManager,
  stream: string,
  consumer: string,
): Promise<Bookmark | "foreign" | undefined> {
  const info = await consumerInfoOrNull(jsm, stream, bookmarkName(consumer));
  if (info === null) return undefined;
  const written = info.config.description ?? "";
  const prefix = `${description(consumer)} [`;
  if (!written.startsWith(prefix) || !written.endsWith("]")) return "foreign";
  return {
    start: startOf(info.config),
    token: written.slice(prefix.length, -1),
    createdAt: Date.parse(info.created),
  };
}

/**
 * Removes the bookmark beside `consumer` if it is still the one with `token`; none, or
 * another's, is left as it is.
 */
export async function dropBookmark(
  jsm: JetStreamManager,
  stream: string,
  consumer: string,
  token: string,
): Promise<void> {
  const name = bookmarkName(consumer);
  const found = await findBookmark(jsm, stream, consumer);
  if (found === undefined || found === "foreign" || found.token !== token) return;
  await asSetupStep(`remove ${name} on ${stream}`, async () => {
    try {
      await jsm.consumers.delete(stream, name);
    } catch (err) {
      if (!isApiError(err, JetStreamApiCodes.ConsumerNotFound)) throw err;
    }
  });
}

function startOf(config: Partial<DurableConsumerConfig>): ConsumerStart {
  return {
    deliver_policy: config.deliver_policy ?? DeliverPolicy.All,
    ...(config.opt_start_seq ? { opt_start_seq: config.opt_start_seq } : {}),
    ...(config.opt_start_time ? { opt_start_time: config.opt_start_time } : {}),
  };
}
