/** `hookswitch dlq list`: a deployment's dead letters, as a table or a JSON array. */
import { Command, Option } from "commander";
import { ABSENT_DEAD_LETTER_STORE } from "../../delivery/dead-letters.js";
import { type ListedDeadLetter } from "../../delivery/records.js";
import { readerGone } from "../../output/closed-output.js";
import { writeLast, writePaced } from "../../output/paced-output.js";
import { ExitError } from "../../errors.js";
import { addNatsOptions, consumerOf, consumerOption } from "../options/nats-options.js";
import { optionNamer } from "../options/env-flags.js";
import {
  DEPLOYMENT_HELP,
  integrationOption,
  reportMissing,
  selected,
  withDeadLetters,
  type Opts,
} from "./access.js";
import { firstOf, limitNote, parseLimit } from "./limit.js";
import { jsonArrayEnd, jsonArrayItem } from "./json.js";
import { noteNoDaemon, noteNoneOf } from "./notes.js";
import { leaveOutOthers } from "./others.js";
import { deliveryConsumerExists } from "./replay-plan.js";
import { parseListing } from "./selection.js";
import { deadLetterRow, formatDeadLetterRows } from "./table.js";

export function listCommand(): Command {
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
