/**
 * `hookswitch dlq list|replay|purge`: the dead-letter queue, reached with the same NATS
 * flags as `run` (how a replay is published: dlq-replay.ts). It creates no stream.
 */
import { Command, Option } from "commander";
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import {
  ABSENT_DEAD_LETTER_STORE,
  createDeadLetterStore,
  type DeadLetterStore,
} from "../delivery/dead-letters.js";
import { DEAD_LETTER_STREAM } from "../delivery/records.js";
import { ExitError } from "../errors.js";
import { connectNats } from "../nats/connection.js";
import {
  addNatsOptions,
  DEFAULT_CONSUMER,
  parseNatsSettings,
  requireName,
} from "../nats/settings.js";
import { jetstreamManagerNow } from "../nats/jetstream-wait.js";
import { streamExists } from "../nats/streams.js";
import { redactServer } from "../nats/url-credentials.js";
import { plural } from "../config/text.js";
import { isDeliveryReplay, replayOne, requireDeliveryConsumer } from "./dlq-replay.js";
import { integrationOf, parseSelection, type Selection } from "./dlq-selection.js";
import { formatDeadLetterTable } from "./dlq-table.js";

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

function reportMissing(ids: number[]): void {
  for (const id of ids) process.stderr.write(`dead letter ${id} not found\n`);
}

/** The queue, or an empty one (and a note) where no daemon has created it: `dlq` creates no stream. */
async function deadLetterStoreOf(
  js: JetStreamClient,
  jsm: JetStreamManager,
  nc: NatsConnection,
): Promise<DeadLetterStore> {
  if (await streamExists(jsm, DEAD_LETTER_STREAM)) return createDeadLetterStore(js, jsm);
  process.stderr.write(
    `note: stream ${DEAD_LETTER_STREAM} does not exist at ${redactServer(nc.getServer())}: no ` +
      "hookswitch daemon has run against this NATS (account) yet, so it holds no dead letters " +
      "(check NATS_URL if one has)\n",
  );
  return ABSENT_DEAD_LETTER_STORE;
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
    const js = jetstream(nc);
    await work({ store: await deadLetterStoreOf(js, jsm, nc), js, jsm, nc });
  } finally {
    await nc.close();
  }
}
