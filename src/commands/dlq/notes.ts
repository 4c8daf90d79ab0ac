/**
 * What `dlq` says on stderr beside an empty answer, so that an empty listing is not taken
 * for an empty queue when the question was asked wrongly.
 */
import { printable } from "../../output/printable.js";
import type { Selection } from "./selection.js";

/** A name given to --integration that has no dead letter may be mistyped: say so. */
export function noteNoneOf(selection: Selection, consumer: string): void {
  if (selection.kind !== "integration") return;
  process.stderr.write(
    `note: integration ${printable(selection.integration)} has no dead letters in the ` +
      `deployment with --consumer ${printable(consumer)}; \`hookswitch dlq list\` without ` +
      "--integration shows those that have\n",
  );
}

/** A --consumer no daemon runs under (a typo, or the default while they run with another). */
export function noteNoDaemon(consumer: string): void {
  process.stderr.write(
    `note: no daemon has run with --consumer ${printable(consumer)}, so it has no dead ` +
      "letters of its own: give --consumer (HOOKSWITCH_CONSUMER) the daemons' --consumer\n",
  );
}
