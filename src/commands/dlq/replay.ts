/**
 * `hookswitch dlq replay`: selected dead letters sent again, each planned and then
 * published (dlq/replay-plan.ts), or with `--dry-run` only planned.
 */
import { Command, Option } from "commander";
import type { JetStreamClient } from "@nats-io/jetstream";
import type { DeadLetterStore } from "../../delivery/dead-letters.js";
import { ExitError } from "../../errors.js";
import { plural } from "../../config/text.js";
import { signalExitCode } from "../../lifecycle.js";
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
import { noteNoneOf } from "./notes.js";
import { leaveOutOthers } from "./others.js";
import { isDeliveryReplay, planReplay, replayOne, requireDeliveryConsumer } from "./replay-plan.js";
import { parseSelection, type Selection } from "./selection.js";
import { stopBetweenLetters } from "./stop-signal.js";

export function replayCommand(): Command {
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
