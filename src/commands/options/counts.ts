/** Counts given on the command line or in a variable, checked alike by every command. */
import { wholeNumber } from "../../config/text.js";
import { UsageError } from "../../errors.js";

/**
 * `text` as a whole number of at least `least`, or a usage error quoting it; `option` is
 * the flag as the message names it (with its variable when the value came from one).
 */
export function countOf(option: string, text: string, least = 1): number {
  const count = wholeNumber(text);
  if (count === undefined || count < least) {
    throw new UsageError(`${option} must be a whole number ≥ ${least}, not "${text}"`);
  }
  return count;
}
