/** How `render` refuses: one line on standard error, exit code 1. */
import { ExitError } from "../../errors.js";
import { printable } from "../../output/printable.js";

/** Messages quote the event (its account, a JSON error's excerpt): printed harmless. */
export function fail(message: string): never {
  process.stderr.write(`hookswitch render: ${printable(message)}\n`);
  throw new ExitError(1);
}
