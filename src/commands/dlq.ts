/**
 * `hookswitch dlq list|replay|purge`: the dead-letter queue, reached with the same NATS
 * flags as `run`. Replay hands a dead letter back to the delivery stream with the same
 * webhook-id and fresh attempts, and removes it only once the server has the delivery.
 */
import { Command, Option } from "commander";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  JetStreamApiCodes,
  jetstream,
  type JetStreamClient,
  type JetStreamManager,
} from "@nats-io/jetstream";
import { createDeadLetterStore, type DeadLetterStore } from "../delivery/dead-letters.js";
import {
  DELIVERY_STREAM,
  deliverySubject,
  type DeliveryRecord,
  type ListedDeadLetter,
} from "../delivery/records.js";
import { ExitError, NatsSetupError } from "../errors.js";
import { checkEvent } from "../events/parse.js";
import { connectNats } from "../nats/connection.js";
import { deliveryConsumerName } from "../nats/durable-consumers.js";
import { msgIdOf } from "../nats/msg-id.js";
import {
  addNatsOptions,
  DEFAULT_CONSUMER,
  parseNatsSettings,
  requireName,
} from "../nats/settings.js";
import { jetstreamManagerNow } from "../nats/jetstream-wait.js";
import { ensureHookswitchStreams, isApiError } from "../nats/streams.js";
import { plural } from "../config/text.js";
import { integrationOf, parseSelection, type Selection } from "./dlq-selection.js";
import { formatDeadLetterTable } from "./dlq-table.js";
import { printable } from "./printable.js";

type Opts = Record<string, unknown>;

export function dlqCommand(): Command {
  return new Command("dlq")
    .description("list, replay or purge dead letters")
    .addCommand(listCommand())
    .addCommand(replayCommand())
    .addCommand(purgeCommand());
}

function listCommand(): Command {
  const cmd = new Command("list")
    .description("list dead letters")
    .addOption(integrationOption("only this integration's dead letters"))
    .addOption(new Option("--json", "print a JSON array of records").env("HOOKSWITCH_DLQ_JSON"));
  addNatsOptions(cmd, { jetstream: false });
  return cmd.action(async (opts: Opts) => {
    const integration = integrationOf(opts);
    await withDeadLetters(opts, async ({ store }) => {
      // The table shows none of the events: listed without them, a flood of big ones fits.
      const records = await store.list(integration === undefined ? {} : { integration }, {
        brief: !opts.json,
      });
      process.stdout.write(
        opts.json ? `${JSON.stringify(records, null, 2)}\n` : formatDeadLetterTable(records),
      );
    });
  });
}

function replayCommand(): Command {
  const cmd = new Command("replay")
    .description("send dead letters again: same webhook-id, fresh attempts")
    .argument("[ids...]", "dead-letter ids (see `dlq list`)")
    .addOption(integrationOption("replay every dead letter of this integration"))
    .addOption(new Option("--all", "replay every dead letter"))
    .addOption(
      new Option("--consumer <name>", "the daemon's --consumer, whose deliveries take the replay")
        .env("HOOKSWITCH_CONSUMER")
        .default(DEFAULT_CONSUMER),
    );
  addNatsOptions(cmd, { jetstream: false });
  return cmd.action(async (ids: string[], opts: Opts) => {
    const selection = parseSelection("replay", ids, opts);
    const consumer = requireName("--consumer", String(opts.consumer));
    await withDeadLetters(opts, async ({ store, js, jsm }) => {
      const { records, missing } = await selectRecords(store, selection);
      if (records.some(isDeliveryReplay)) await requireDeliveryConsumer(jsm, consumer);
      let failed = missing.length > 0;
      let replayed = 0;
      for (const record of records) {
        if (await replayOne(js, store, record, consumer)) replayed++;
        else failed ||= selection.kind === "ids";
      }
      process.stdout.write(`replayed ${plural(replayed, "dead letter")}\n`);
      if (failed) throw new ExitError(1);
    });
  });
}

function purgeCommand(): Command {
  const cmd = new Command("purge")
    .description("remove dead letters for good")
    .argument("[ids...]", "dead-letter ids (see `dlq list`)")
    .addOption(integrationOption("remove every dead letter of this integration"))
    .addOption(new Option("--all", "remove every dead letter"));
  addNatsOptions(cmd, { jetstream: false });
  return cmd.action(async (ids: string[], opts: Opts) => {
    const selection = parseSelection("purge", ids, opts);
    await withDeadLetters(opts, async ({ store }) => {
      if (selection.kind !== "ids") {
        const removed = await store.purge(
          selection.kind === "all" ? { all: true } : { integration: selection.integration },
        );
        process.stdout.write(`removed ${plural(removed, "dead letter")}\n`);
        return;
      }
      const removed = await store.remove(selection.ids);
      reportMissing(selection.ids.filter((id) => !removed.includes(id)));
      process.stdout.write(`removed ${plural(removed.length, "dead letter")}\n`);
      if (removed.length < selection.ids.length) throw new ExitError(1);
    });
  });
}

/** Selectors read no environment variable: a stray variable must never widen a purge. */
function integrationOption(description: string): Option {
  return new Option("--integration <name>", description);
}

async function selectRecords(store: DeadLetterStore, selection: Selection) {
  if (selection.kind === "all") return { records: await store.list(), missing: [] };
  if (selection.kind === "integration") {
    return { records: await store.list({ integration: selection.integration }), missing: [] };
  }
  const records = await store.get(selection.ids);
  const missing = selection.ids.filter((id) => !records.some((r) => r.id === id));
  reportMissing(missing);
  return { records, missing };
}

/** Publishes the delivery, then removes the dead letter; false when it cannot be replayed. */
async function replayOne(
  js: JetStreamClient,
  store: DeadLetterStore,
  record: ListedDeadLetter,
  consumer: string,
): Promise<boolean> {
  if (record.integration === null || record.webhookId === null) {
    return publishEventAgain(js, store, record);
  }
  if (record.cut?.includes("event")) {
    process.stderr.write(
      `dead letter ${record.id} kept only the start of its event, which was too large for one ` +
        `NATS message: it cannot be replayed (it stays; \`dlq purge ${record.id}\` removes it)\n`,
    );
    return false;
  }
  const delivery: DeliveryRecord = {
    v: 1,
    webhookId: record.webhookId,
    integration: record.integration,
    event: record.event,
    attempts: [],
    replays: (record.replays ?? 0) + 1,
  };
  // The msg id makes a replay run twice within the duplicate window publish once.
  await js.publish(deliverySubject(consumer, record.integration), JSON.stringify(delivery), {
    msgID: `replay:${record.webhookId}:${record.id}`,
  });
  await store.remove([record.id]);
  process.stderr.write(`dead letter ${record.id} replayed to ${record.integration}\n`);
  return true;
}

/**
 * A dead letter of a whole event (one that ran out of NATS deliveries before hookswitch could
 * record them) is replayed by publishing the event again, to every integration it matches.
 */
async function publishEventAgain(
  js: JetStreamClient,
  store: DeadLetterStore,
  record: ListedDeadLetter,
): Promise<boolean> {
  const { subject } = record;
  if (subject === undefined || record.cut?.includes("event") || !checkEvent(record.event).ok) {
    process.stderr.write(
      `dead letter ${record.id} is a message that was not a valid event: it cannot be replayed ` +
        `(it stays; \`dlq purge ${record.id}\` removes it)\n`,
    );
    return false;
  }
  // The msg id makes a replay run twice within the duplicate window publish once.
  await js.publish(subject, JSON.stringify(record.event), {
    msgID: msgIdOf(`replay-event:${record.eventId}:${record.id}`),
  });
  await store.remove([record.id]);
  // The event's id is the publisher's text: no control character reaches the terminal.
  process.stderr.write(
    `dead letter ${record.id}: event ${printable(record.eventId ?? "-")} published again to ` +
      `${printable(subject)}, for every integration it matches\n`,
  );
  return true;
}

/** A dead letter of one integration's delivery, replayed through `--consumer`'s deliveries. */
function isDeliveryReplay(record: ListedDeadLetter): boolean {
  return record.integration !== null && record.webhookId !== null;
}

/**
 * A replay is published for `--consumer`'s daemons and the dead letter removed. With a name
 * no daemon runs under (a typo, or the default while the daemons run with another), nothing
 * would ever take it: the dead letter would be gone and its webhook never sent.
 */
async function requireDeliveryConsumer(jsm: JetStreamManager, consumer: string): Promise<void> {
  try {
    await jsm.consumers.info(DELIVERY_STREAM, deliveryConsumerName(consumer));
  } catch (err) {
    if (!isApiError(err, JetStreamApiCodes.ConsumerNotFound)) throw err;
    throw new NatsSetupError(
      `no daemon has run with --consumer ${consumer} (${DELIVERY_STREAM} has no consumer ` +
        `${deliveryConsumerName(consumer)}), so nothing would take the replay: give --consumer ` +
        "(HOOKSWITCH_CONSUMER) the daemons' --consumer. Nothing was replayed",
      { cause: err },
    );
  }
}

function reportMissing(ids: number[]): void {
  for (const id of ids) process.stderr.write(`dead letter ${id} not found\n`);
}

async function withDeadLetters(
  opts: Opts,
  work: (ctx: {
    store: DeadLetterStore;
    js: JetStreamClient;
    jsm: JetStreamManager;
    nc: NatsConnection;
  }) => Promise<void>,
): Promise<void> {
  const settings = parseNatsSettings(opts);
  const nc = await connectNats(settings, { name: "hookswitch-dlq", waitOnFirstConnect: false });
  try {
    const jsm = await jetstreamManagerNow(nc);
    await ensureHookswitchStreams(jsm);
    const js = jetstream(nc);
    await work({ store: createDeadLetterStore(js, jsm), js, jsm, nc });
  } finally {
    await nc.close();
  }
}
