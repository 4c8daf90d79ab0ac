/**
 * `hookswitch dlq list|replay|purge`: the dead-letter queue, reached with the same NATS
 * flags as `run` (how a replay is published: dlq/replay.ts). It creates no stream. Each
 * command works on one deployment's dead letters (`--consumer`, as `run`'s) and on those
 * stored before dead letters were namespaced, never on another deployment's.
 */
import { confirmed, controllingTerminal } from "./dlq/confirm.js";
import { printable } from "../output/printable.js";
import { Command, Option } from "commander";
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import {
  ABSENT_DEAD_LETTER_STORE,
  createDeadLetterStore,
  DEFAULT_MAX_PAYLOAD,
  type DeadLetterStore,
} from "../delivery/dead-letters.js";
import { type ListedDeadLetter } from "../delivery/records.js";
import { DEAD_LETTER_STREAM } from "../nats/layout.js";
import { readerGone } from "../output/closed-output.js";
import { ExitError } from "../errors.js";
import { connectNats } from "../nats/connection.js";
import { withinOutageLimit } from "../nats/outage-limit.js";
import {
  addNatsOptions,
  consumerOf,
  consumerOption,
  parseNatsSettings,
} from "./options/nats-options.js";
import { optionNamer, type OptionNamer } from "./options/env-flags.js";
import { jetstreamManagerNow } from "../nats/jetstream-wait.js";
import { streamExists } from "../nats/streams.js";
import { redactServer } from "../nats/url-credentials.js";
import { plural } from "../config/text.js";
import {
  deliveryConsumerExists,
  isDeliveryReplay,
  planReplay,
  replayOne,
  requireDeliveryConsumer,
} from "./dlq/replay.js";
import { noteNoDaemon, noteNoneOf } from "./dlq/notes.js";
import { stopBetweenLetters } from "./dlq/stop-signal.js";
import { signalExitCode } from "../lifecycle.js";
import { parseListing, parseSelection, type Selection } from "./dlq/selection.js";
import { leaveOutOthers } from "./dlq/others.js";
import { jsonArrayEnd, jsonArrayItem } from "./dlq/json.js";
import { firstOf, limitNote, parseLimit } from "./dlq/limit.js";
import { deadLetterRow, formatDeadLetterRows } from "./dlq/table.js";
import { writeLast, writePaced } from "../output/paced-output.js";

type Opts = Record<string, unknown>;

export function dlqCommand(): Command {
  return new Command("dlq")
    .description("list, replay or purge one deployment's dead letters (--consumer)")
    .addCommand(listCommand())
    .addCommand(replayCommand())
    .addCommand(purgeCommand());
}

function listCommand(): Command {
  const cmd = new Command("list")
    .description("list dead letters")
    .argument("[ids...]", "only these dead letters (in full with --json)")
    .addOption(integrationOption("only this integration's dead letters"))
    .addOption(new Option("--json", "print a JSON array of records").env("HOOKSWITCH_DLQ_JSON"))
    .addOption(
      new Option("--limit <n>", "list the oldest n dead letters only").env("HOOKSWITCH_DLQ_LIMIT"),
    )
    .addOption(consumerOption(DEPLOYMENT_HELP));
  addNatsOptions(cmd, { jetstream: false });
  return cmd.action(async (ids: string[], opts: Opts) => {
    const asked = parseListing(ids, opts);
    const named = optionNamer(cmd);
    const limit = parseLimit(opts.limit as string | undefined, named);
    const consumer = consumerOf(opts, named);
    await withDeadLetters(opts, named, async ({ store, jsm }) => {
      const { selection, refused } = await leaveOutOthers(store, asked, consumer, "list");
      const found = new Set<number>();
      const read = noting(selected(store, selection), (record) => found.add(record.id));
      const { records, more } = firstOf(read, limit);
      const listed = await (opts.json ? printJson(records) : printTable(records));
      const cut = limit !== undefined && more();
      if (cut) process.stderr.write(limitNote(limit));
      if (selection.kind === "ids") {
        // Ids past a --limit were not looked for: not said to be missing.
        const missing = cut ? [] : selection.ids.filter((id) => !found.has(id));
        reportMissing(missing);
        if (missing.length > 0 || refused.size > 0) throw new ExitError(1);
        return;
      }
      // Where the queue itself is absent, a note has said so already.
      if (listed > 0 || store === ABSENT_DEAD_LETTER_STORE) return;
      if (!(await deliveryConsumerExists(jsm, consumer))) noteNoDaemon(consumer);
      else noteNoneOf(selection, consumer);
    });
  });
}

/** The records as they are read, each told to `note` first. */
async function* noting<T>(records: AsyncIterable<T>, note: (record: T) => void): AsyncGenerator<T> {
  for await (const record of records) {
    note(record);
    yield record;
  }
}

/**
 * One JSON array, written a record at a time as they are read, at the pace of its reader.
 * A listing that fails part way leaves the array open: no one takes part for the whole.
 * Returns how many records it wrote.
 */
async function printJson(records: AsyncIterable<ListedDeadLetter>): Promise<number> {
  let count = 0;
  for await (const record of records) {
    // No one reads the rest (`| head`): reading it from NATS would only take time.
    if (readerGone(process.stdout)) return count;
    await writePaced(process.stdout, jsonArrayItem(record, count++));
  }
  await writeLast(process.stdout, jsonArrayEnd(count));
  return count;
}

/**
 * The table fits its widths to every line: it keeps each record's line, not the record.
 * Returns how many records it listed.
 */
async function printTable(records: AsyncIterable<ListedDeadLetter>): Promise<number> {
  const rows: string[][] = [];
  for await (const record of records) rows.push(deadLetterRow(record));
  await writeLast(process.stdout, formatDeadLetterRows(rows));
  return rows.length;
}

function replayCommand(): Command {
  const cmd = new Command("replay")
    .description("send dead letters again: same webhook-id, fresh attempts")
    .argument("[ids...]", "dead-letter ids (see `dlq list`)")
    .addOption(integrationOption("replay every dead letter of this integration"))
    .addOption(new Option("--all", "replay every dead letter of the deployment"))
    .addOption(new Option("--dry-run", "say what would be replayed, and replay nothing"))
    .addOption(consumerOption(`${DEPLOYMENT_HELP}; its daemons take the replay`));
  addNatsOptions(cmd, { jetstream: false });
  return cmd.action(async (ids: string[], opts: Opts) => {
    const asked = parseSelection("replay", ids, opts);
    const named = optionNamer(cmd);
    const consumer = consumerOf(opts, named);
    const dryRun = opts.dryRun === true;
    await withDeadLetters(opts, named, async ({ store, js, jsm }) => {
      const { selection, refused: others } = await leaveOutOthers(store, asked, consumer, "replay");
      if (await holdsDeliveries(store, selection)) await requireDeliveryConsumer(jsm, consumer);
      const { found, replayed, refused, stoppedBy } = await replaySelected(
        { store, js, consumer, dryRun },
        selection,
      );
      const counted = `${dryRun ? "would replay" : "replayed"} ${plural(replayed, "dead letter")}`;
      if (stoppedBy) {
        process.stdout.write(
          `${counted}, then stopped (${stoppedBy}): the others stay in the queue\n`,
        );
        throw new ExitError(signalExitCode(stoppedBy));
      }
      // Nothing found by --all or --integration: a mistyped --consumer would look like an
      // empty queue, so one no daemon has run with is said to be so.
      if (selection.kind !== "ids" && replayed + refused === 0) {
        await requireDeliveryConsumer(jsm, consumer);
      }
      const missing = selection.kind === "ids" ? selection.ids.filter((id) => !found.has(id)) : [];
      reportMissing(missing);
      const unsent = refused + others.size;
      const kept =
        unsent > 0 ? `; ${unsent} could not be${dryRun ? "" : " and stay"} (said above)` : "";
      const dry = dryRun ? "; nothing was replayed (--dry-run)" : "";
      process.stdout.write(`${counted}${kept}${dry}\n`);
      if (replayed + unsent === 0) noteNoneOf(selection, consumer);
      // A dead letter that cannot be replayed fails the command only when it was asked for.
      if (missing.length > 0 || (unsent > 0 && selection.kind === "ids")) throw new ExitError(1);
    });
  });
}

interface ReplayRun {
  /** The ids met, of a selection by ids. */
  found: Set<number>;
  replayed: number;
  refused: number;
  /** The signal that cut the replay short, if one did (one during the last letter did not). */
  stoppedBy: NodeJS.Signals | undefined;
}

/** Replays (or, in a dry run, says it would replay) each selected dead letter in turn. */
async function replaySelected(
  how: { store: DeadLetterStore; js: JetStreamClient; consumer: string; dryRun: boolean },
  selection: Selection,
): Promise<ReplayRun> {
  const run: ReplayRun = { found: new Set(), replayed: 0, refused: 0, stoppedBy: undefined };
  const stop = stopBetweenLetters();
  try {
    for await (const record of selected(how.store, selection)) {
      run.stoppedBy = stop.requested();
      if (run.stoppedBy) break;
      if (selection.kind === "ids") run.found.add(record.id);
      const plan = planReplay(record, how.consumer);
      if (!plan.ok) {
        process.stderr.write(`${plan.why}\n`);
        run.refused++;
        continue;
      }
      if (how.dryRun) process.stdout.write(`${plan.planned}\n`);
      else await replayOne(how.js, how.store, record.id, plan);
      run.replayed++;
    }
  } finally {
    stop.dispose();
  }
  return run;
}

function purgeCommand(): Command {
  const cmd = new Command("purge")
    .description("remove dead letters for good")
    .argument("[ids...]", "dead-letter ids (see `dlq list`)")
    .addOption(integrationOption("remove every dead letter of this integration"))
    .addOption(new Option("--all", "remove every dead letter of the deployment"))
    .addOption(
      new Option("-y, --yes", "remove --all or --integration without asking at a terminal"),
    )
    .addOption(consumerOption(DEPLOYMENT_HELP));
  addNatsOptions(cmd, { jetstream: false });
  return cmd.action(async (ids: string[], opts: Opts) => {
    const asked = parseSelection("purge", ids, opts);
    const named = optionNamer(cmd);
    const consumer = consumerOf(opts, named);
    await withDeadLetters(opts, named, async ({ store }) => {
      const { selection, refused } = await leaveOutOthers(store, asked, consumer, "purge");
      if (selection.kind !== "ids") {
        // Bounded before anything is counted or asked: a record stored meanwhile, which no
        // one was shown, stays.
        const before = await store.nextId();
        const scope = selection.kind === "all" ? {} : { integration: selection.integration };
        const shown = await store.count(scope);
        const what =
          selection.kind === "all"
            ? `all ${plural(shown, "dead letter")} of --consumer ${consumer}`
            : `the ${plural(shown, "dead letter")} of integration ${printable(selection.integration)}`;
        const terminal = {
          input: process.stdin,
          output: process.stderr,
          openQuestionTerminal: controllingTerminal,
        };
        if (shown > 0 && !opts.yes && !(await confirmed(`remove ${what}, for good?`, terminal))) {
          process.stderr.write("nothing removed\n");
          throw new ExitError(1);
        }
        const removed = await store.purge({ all: selection.kind === "all", ...scope, before });
        process.stdout.write(`removed ${plural(removed, "dead letter")}\n`);
        if (removed === 0) noteNoneOf(selection, consumer);
        return;
      }
      const removed = await store.remove(selection.ids);
      reportMissing(selection.ids.filter((id) => !removed.includes(id)));
      process.stdout.write(`removed ${plural(removed.length, "dead letter")}\n`);
      if (removed.length < selection.ids.length || refused.size > 0) throw new ExitError(1);
    });
  });
}

const DEPLOYMENT_HELP =
  "the daemons' --consumer: only that deployment's dead letters (and older ones of no deployment)";

/** Selectors read no environment variable: a stray variable must never widen a purge. */
function integrationOption(description: string): Option {
  return new Option("--integration <name>", description);
}

/** The selected dead letters, read a few at a time. */
function selected(store: DeadLetterStore, selection: Selection): AsyncIterable<ListedDeadLetter> {
  if (selection.kind === "ids") return store.readIds(selection.ids);
  return store.read(selection.kind === "all" ? {} : { integration: selection.integration });
}

/**
 * Whether a delivery is among the selected dead letters, known before any is replayed: a
 * replay with a `--consumer` no daemon has run with replays nothing. The queue says which
 * integrations it holds records of; ids are read until a delivery is met.
 */
async function holdsDeliveries(store: DeadLetterStore, selection: Selection): Promise<boolean> {
  if (selection.kind === "all") return store.holdsDeliveries();
  if (selection.kind === "integration") {
    return store.holdsDeliveries({ integration: selection.integration });
  }
  for await (const record of store.readIds(selection.ids)) {
    if (isDeliveryReplay(record)) return true;
  }
  return false;
}

function reportMissing(ids: number[]): void {
  for (const id of ids) process.stderr.write(`dead letter ${id} not found\n`);
}

/** The queue, or an empty one (and a note) where no daemon has created it: `dlq` creates no stream. */
async function deadLetterStoreOf(
  js: JetStreamClient,
  jsm: JetStreamManager,
  nc: NatsConnection,
  consumer: string,
): Promise<DeadLetterStore> {
  if (await streamExists(jsm, DEAD_LETTER_STREAM)) {
    return createDeadLetterStore(js, jsm, {
      consumer,
      maxPayload: () => nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD,
    });
  }
  process.stderr.write(
    `note: stream ${DEAD_LETTER_STREAM} does not exist at ${redactServer(nc.getServer())}: no ` +
      "hookswitch daemon has run against this NATS (account) yet, so it holds no dead letters " +
      "(check NATS_URL if one has)\n",
  );
  return ABSENT_DEAD_LETTER_STORE;
}

async function withDeadLetters(
  opts: Opts,
  named: OptionNamer,
  work: (ctx: {
    store: DeadLetterStore;
    js: JetStreamClient;
    jsm: JetStreamManager;
    nc: NatsConnection;
  }) => Promise<void>,
): Promise<void> {
  const settings = parseNatsSettings(opts, process.env, named);
  const consumer = consumerOf(opts, named);
  const nc = await connectNats(settings, { name: "hookswitch-dlq", waitOnFirstConnect: false });
  try {
    await withinOutageLimit(
      nc,
      async () => {
        const jsm = await jetstreamManagerNow(nc, settings.inboxPrefix);
        const js = jetstream(nc);
        await work({ store: await deadLetterStoreOf(js, jsm, nc, consumer), js, jsm, nc });
      },
      (note) => process.stderr.write(note),
    );
  } finally {
    await nc.close();
  }
}
