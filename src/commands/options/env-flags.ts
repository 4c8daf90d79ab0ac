/**
 * Boolean flags read from environment variables.
 *
 * Commander's `Option.env()` on a flag that takes no value switches the flag on whenever
 * the variable is defined, whatever it holds (`HOOKSWITCH_STRICT=false` would mean
 * strict). `applyBooleanEnv`, installed once as a `preAction` hook on the program, reads
 * the variable's value instead for every such flag whose value came from the environment:
 * true/1/yes/on switch it on, false/0/no/off or empty leave it off, anything else is a
 * usage error. A flag given on the command line has source `cli` and is left alone (flags win).
 */
import type { Command } from "commander";
import { UsageError } from "../../errors.js";

const ON = ["true", "1", "yes", "on"] as const;
const OFF = ["false", "0", "no", "off", ""] as const;

/** The accepted values, as the docs and error messages state them. */
const BOOLEAN_ENV_VALUES =
  "true, 1, yes or on to switch it on; false, 0, no, off or empty to leave it off";

/** Parses the value of the boolean environment variable `name` (case-insensitive). */
export function parseBooleanEnv(name: string, raw: string): boolean {
  const value = raw.trim().toLowerCase();
  if ((ON as readonly string[]).includes(value)) return true;
  if ((OFF as readonly string[]).includes(value)) return false;
  throw new UsageError(
    `${name}=${JSON.stringify(raw)} is not a boolean: use ${BOOLEAN_ENV_VALUES}`,
  );
}

/**
 * A `preAction` hook: corrects every flag of the command about to run that takes no value,
 * reads an environment variable, and got its value from it. A `--no-…` flag is "on" when
 * it applies (its value is then false).
 */
export function applyBooleanEnv(_hooked: Command, actionCommand: Command): void {
  for (const option of actionCommand.options) {
    // Commander's isBoolean() leaves out `--no-…` flags, which take no value either.
    if (!option.envVar || !(option.isBoolean() || option.negate)) continue;
    const key = option.attributeName();
    if (actionCommand.getOptionValueSource(key) !== "env") continue;
    const raw = process.env[option.envVar];
    if (raw === undefined) continue;
    const on = parseBooleanEnv(option.envVar, raw);
    actionCommand.setOptionValueWithSource(key, option.negate ? !on : on, "env");
  }
}

/**
 * Before parsing: every variable an option of `program` (or of its commands) reads is taken
 * without the spaces around it, and one that is empty or only spaces counts as unset, as if
 * it were not there. Compose's `HOOKSWITCH_DIR=${HOOKSWITCH_DIR}` sets it empty when the
 * host has none, and `run` then waited for a folder named "" (validate took the default);
 * an env file with CRLF lines ends every value in "\r", which no duration or choice accepts.
 */
export function normalizeOptionEnv(program: Command, env: NodeJS.ProcessEnv = process.env): void {
  for (const name of optionEnvNames(program)) {
    const value = envText(name, env);
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
}

/**
 * A variable read outside any option (validate's HOOKSWITCH_DIR, the default of its paths),
 * as `normalizeOptionEnv` reads theirs: without the spaces around it, unset when empty.
 */
export function envText(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[name]?.trim();
  return value === "" ? undefined : value;
}

function optionEnvNames(command: Command): string[] {
  const own = command.options.flatMap((o) => (o.envVar ? [o.envVar] : []));
  return [...own, ...command.commands.flatMap(optionEnvNames)];
}

/** How a message names an option, given its flag. */
export type OptionNamer = (flag: string) => string;

/** Names an option by its flag alone. */
export const asFlag: OptionNamer = (flag) => flag;

/**
 * How a message names an option: `--max-in-flight`, or `HOOKSWITCH_MAX_IN_FLIGHT
 * (--max-in-flight)` when its value came from that variable (a pod given no flags would
 * otherwise be told about a flag nobody set).
 */
export function optionNamer(command: Command): OptionNamer {
  return (flag) => {
    const option = command.options.find((o) => o.long === flag);
    if (!option?.envVar) return flag;
    const fromEnv = command.getOptionValueSource(option.attributeName()) === "env";
    return fromEnv ? `${option.envVar} (${flag})` : flag;
  };
}
