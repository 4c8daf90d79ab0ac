/**
 * How `dlq replay` hands a dead letter back: a delivery to `--consumer`'s daemons (same
 * webhook-id, fresh attempts), or a whole event to its subject; the dead letter is removed
 * only once the server has what was published.
 */
import { JetStreamApiCodes, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { DeadLetterStore } from "../../delivery/dead-letters.js";
import { UNREADABLE_RECORD } from "../../delivery/dead-letter-list.js";
import { type DeliveryRecord, type ListedDeadLetter } from "../../delivery/records.js";
import { DELIVERY_STREAM, deliverySubject } from "../../nats/layout.js";
import { NatsSetupError } from "../../errors.js";
import { checkEvent } from "../../events/parse.js";
import { subjectMismatch } from "../../events/subject-match.js";
import { deliveryConsumerName } from "../../nats/durable-consumers.js";
import { msgIdOf } from "../../nats/msg-id.js";
import { isApiError } from "../../nats/streams.js";
import { printable } from "../../output/printable.js";

/**
 * What replaying one dead letter publishes, and what is said of it done or only planned
 * (`--dry-run`); or why it cannot be replayed.
 */
export type ReplayPlan =
  | { ok: true; subject: string; payload: string; msgID: string; done: string; planned: string }
  | { ok: false; why: string };

/**
 * A delivery goes back to `--consumer`'s daemons with its webhook-id and fresh attempts; a
 * whole event (one that ran out of NATS deliveries before hookswitch could record them) is
 * published again, to every integration it matches.
 */
export function planReplay(record: ListedDeadLetter, consumer: string): ReplayPlan {
  if (record.reason === UNREADABLE_RECORD) {
    return refused(
      `dead letter ${record.id} is a record hookswitch cannot read: it cannot be replayed`,
      record.id,
    );
  }
  if (record.integration === null || record.webhookId === null) return planEventAgain(record);
  if (record.cut?.includes("event")) {
    return refused(
      `dead letter ${record.id} kept only the start of its event, which was too large for one ` +
        "NATS message: it cannot be replayed",
      record.id,
    );
  }
  const delivery: DeliveryRecord = {
    v: 1,
    webhookId: record.webhookId,
    integration: record.integration,
    event: record.event,
    attempts: [],
    replays: (record.replays ?? 0) + 1,
    // No larger than the dead letter, which fitted in one message.
    replayOf: {
      attempts: record.attempts,
      lastStatus: record.lastStatus,
      lastError: record.lastError,
      lastResponseBody: record.lastResponseBody,
      ...(record.request ? { request: record.request } : {}),
    },
  };
  return {
    ok: true,
    subject: deliverySubject(consumer, record.integration),
    payload: JSON.stringify(delivery),
    // The msg id makes a replay run twice within the duplicate window publish once.
    msgID: `replay:${record.webhookId}:${record.id}`,
    done: `dead letter ${record.id} replayed to ${record.integration}`,
    planned: `dead letter ${record.id} would be replayed to ${record.integration}`,
  };
}

function planEventAgain(record: ListedDeadLetter): ReplayPlan {
  const { subject } = record;
  const checked = checkEvent(record.event);
  if (subject === undefined || record.cut?.includes("event") || !checked.ok) {
    return refused(
      `dead letter ${record.id} is a message that was not a valid event: it cannot be replayed`,
      record.id,
    );
  }
  // Refused by `--require-subject-match`: published to the same subject, it would be again.
  if (record.reason.startsWith("invalid event") && subjectMismatch(subject, checked.event)) {
    return refused(
      `dead letter ${record.id} is an event on a subject that does not name its account, ` +
        "service and type: it cannot be replayed",
      record.id,
      "; the publisher must send it on its own subject",
    );
  }
  // The event's id is the publisher's text: no control character reaches the terminal.
  const told = (verb: string) =>
    `dead letter ${record.id}: event ${printable(record.eventId ?? "-")} ${verb} to ` +
    `${printable(subject)}, for every integration it matches`;
  return {
    ok: true,
    subject,
    payload: JSON.stringify(record.event),
    // The msg id makes a replay run twice within the duplicate window publish once.
    msgID: msgIdOf(`replay-event:${record.eventId}:${record.id}`),
    done: told("published again"),
    planned: told("would be published again"),
  };
}

function refused(what: string, id: number, more = ""): ReplayPlan {
  return { ok: false, why: `${what} (it stays; \`dlq purge ${id}\` removes it${more})` };
}

/** Publishes what the plan says, then removes the dead letter; said on stderr. */
export async function replayOne(
  js: JetStreamClient,
  store: DeadLetterStore,
  id: number,
  plan: Extract<ReplayPlan, { ok: true }>,
): Promise<void> {
  await js.publish(plan.subject, plan.payload, { msgID: plan.msgID });
  // Removed only once the server has what was published: at least once, never lost.
  await store.remove([id]);
  process.stderr.write(`${plan.done}\n`);
}

/** A dead letter of one integration's delivery, replayed through `--consumer`'s deliveries. */
export function isDeliveryReplay(record: ListedDeadLetter): boolean {
  return record.integration !== null && record.webhookId !== null;
}

/**
 * A replay is published for `--consumer`'s daemons and the dead letter removed. With a name
 * no daemon runs under (a typo, or the default while the daemons run with another), nothing
 * would ever take it: the dead letter would be gone and its webhook never sent.
 */
export async function requireDeliveryConsumer(
  jsm: JetStreamManager,
  consumer: string,
): Promise<void> {
  if (await deliveryConsumerExists(jsm, consumer)) return;
  throw new NatsSetupError(
    `no daemon has run with --consumer ${consumer} (${DELIVERY_STREAM} has no consumer ` +
      `${deliveryConsumerName(consumer)}), so nothing would take the replay: give --consumer ` +
      "(HOOKSWITCH_CONSUMER) the daemons' --consumer. Nothing was replayed",
  );
}

/** Whether a daemon has run with `--consumer` here: its deliveries' consumer exists. */
export async function deliveryConsumerExists(
  jsm: JetStreamManager,
  consumer: string,
): Promise<boolean> {
  try {
    await jsm.consumers.info(DELIVERY_STREAM, deliveryConsumerName(consumer));
    return true;
  } catch (err) {
    if (isMissingConsumer(err)) return false;
    throw err;
  }
}

function isMissingConsumer(err: unknown): boolean {
  return (
    isApiError(err, JetStreamApiCodes.ConsumerNotFound) ||
    isApiError(err, JetStreamApiCodes.StreamNotFound)
  );
}
