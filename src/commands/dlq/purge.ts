/** `hookswitch dlq purge`: dead letters removed for good, asked first at a terminal. */
import { Command, Option } from "commander";
import { ExitError } from "../../errors.js";
import { plural } from "../../config/text.js";
import { printable } from "../../output/printable.js";
import { addNatsOptions, consumerOf, consumerOption } from "../options/nats-options.js";
import { optionNamer } from "../options/env-flags.js";
import {
  DEPLOYMENT_HELP,
  integrationOption,
  reportMissing,
  withDeadLetters,
  type Opts,
} from "./access.js";
import { confirmed, controllingTerminal } from "./confirm.js";
import { noteNoneOf } from "./notes.js";
import { leaveOutOthers } from "./others.js";
import { parseSelection } from "./selection.js";

export function purgeCommand(): Command {
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
