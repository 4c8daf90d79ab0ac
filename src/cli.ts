#!/usr/bin/env node
/**
 * The command line: parses argv, runs one command, and turns errors into exit codes.
 * The only place in hookswitch that exits the process.
 */
import { Command, CommanderError } from "commander";
import { dropOutputToClosedPipes } from "./output/closed-output.js";
import { applyBooleanEnv, normalizeOptionEnv } from "./commands/options/env-flags.js";
import { coerceError, ExitError, UsageError } from "./errors.js";
import { holdEarlySignals } from "./lifecycle.js";
import { VERSION } from "./version.js";

if (process.argv[2] === "run") {
  // The daemon's signals are its ladder's, from before its modules load (see lifecycle.ts).
  holdEarlySignals();
} else {
  // The daemon's output is its log, written to the descriptor directly (closed-output.ts).
  dropOutputToClosedPipes();
}

/**
 * Each command's module, in the order help lists them. Only the command named is loaded:
 * the daemon's modules (NATS, HTTP) take longer to load than `validate` takes to run.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import("./commands/run.js")).runCommand(),
  validate: async () => (await import("./commands/validate.js")).validateCommand(),
  render: async () => (await import("./commands/render.js")).renderCommand(),
  emit: async () => (await import("./commands/emit.js")).emitCommand(),
  dlq: async () => (await import("./commands/dlq.js")).dlqCommand(),
  schema: async () => (await import("./commands/schema.js")).schemaCommand(),
  permissions: async () => (await import("./commands/permissions.js")).permissionsCommand(),
};
const named = process.argv[2] ?? "";
// Help, a misspelt command's suggestions and no command at all need every one.
const loaded = Object.hasOwn(COMMANDS, named) ? [named] : Object.keys(COMMANDS);

const program = new Command("hookswitch")
  .description("Config-as-code webhook dispatcher for PBX user events on NATS JetStream")
  .version(VERSION)
  .exitOverride()
  .showHelpAfterError()
  // Boolean flags' variables are read for their value (false/0/no/off leave a flag off).
  .hook("preAction", applyBooleanEnv);
for (const command of await Promise.all(loaded.map((name) => COMMANDS[name]!()))) {
  program.addCommand(command);
}
// Added commands inherit no settings: without exitOverride commander exits 1 on a usage
// error, `dlq list --bogus` as much as `emit --bogus`.
const overrideExits = (command: Command): void => {
  for (const sub of command.commands) {
    sub.exitOverride();
    overrideExits(sub);
  }
};
overrideExits(program);

try {
  normalizeOptionEnv(program);
  await program.parseAsync(process.argv);
} catch (err) {
  process.exitCode = exitCodeOf(err);
  if (err instanceof ExitError && err.immediate) process.exit(err.code);
}
// Everything is closed by now; a handle left open must not keep the process alive.
setTimeout(() => process.exit(), 2_000).unref();

function exitCodeOf(err: unknown): number {
  if (err instanceof ExitError) return err.code;
  dropOutputToClosedPipes();
  if (err instanceof CommanderError) {
    // --help and --version end through here with exit code 0.
    return err.exitCode === 0 ? 0 : 2;
  }
  if (err instanceof UsageError) {
    process.stderr.write(`hookswitch: ${err.message}\n`);
    return 2;
  }
  const error = coerceError(err);
  process.stderr.write(`hookswitch: ${error.message}\n`);
  if (process.env.LOG_LEVEL?.toLowerCase() === "debug" && error.stack)
    process.stderr.write(`${error.stack}\n`);
  return 1;
}
