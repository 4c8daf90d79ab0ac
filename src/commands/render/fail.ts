/** How `render` refuses: one line on standard error, exit code 1 (2 for what it was asked). */
import { ExitError } from "../../errors.js";
import { printable } from "../../output/printable.js";

/**
 * Messages quote the event (its account, a JSON error's excerpt): printed harmless. Exit 2
 * when what to render cannot be found (no such integration, no folder to look in), as for an
 * --event file that cannot be read, so that CI tells it from an event that does not match.
 */
export function fail(message: string, code: 1 | 2 = 1): never {
  process.stderr.write(`hookswitch render: ${printable(message)}\n`);
  throw new ExitError(code);
}
