/**
 * `hookswitch permissions`: prints the NATS users hookswitch needs, each with the least it
 * needs, as nats-server configuration for the deployment's names. Read in the daemon's
 * environment, it prints the daemon's own.
 */
import { Command } from "commander";
import { permissionsConf } from "../nats/permissions-conf.js";
import { optionNamer } from "./options/env-flags.js";
import { natsPermissions } from "../nats/permissions.js";
import {
  consumerOf,
  consumerOption,
  inboxPrefixOf,
  inboxPrefixOption,
  noCreateStreamOption,
  streamOf,
  streamOption,
  subjectsOf,
  subjectsOption,
} from "./options/nats-options.js";

export function permissionsCommand(): Command {
  return new Command("permissions")
    .description(
      "print the NATS users hookswitch needs (run, dlq, the events' publisher), each with the " +
        "least permissions, as nats-server configuration",
    )
    .addOption(streamOption())
    .addOption(subjectsOption())
    .addOption(consumerOption("the deployment's durable consumer"))
    .addOption(
      noCreateStreamOption(
        "for `run --no-create-stream`: leave out the rights to create the event stream or change it",
      ),
    )
    .addOption(
      inboxPrefixOption(
        "what the replies of `run` and `dlq` start with (default: _INBOX_<consumer>)",
      ),
    )
    .action((opts: Record<string, unknown>, command: Command) => {
      const named = optionNamer(command);
      const consumer = consumerOf(opts, named);
      const names = {
        stream: streamOf(opts, named),
        subjects: subjectsOf(opts, named),
        consumer,
        createStream: opts.createStream !== false,
        inboxPrefix: inboxPrefixOf(opts, named) ?? `_INBOX_${consumer}`,
      };
      process.stdout.write(permissionsConf(names, natsPermissions(names)));
    });
}
