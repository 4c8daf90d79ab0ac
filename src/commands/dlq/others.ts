/**
 * Dead letters are namespaced by deployment (`--consumer`): an id of another deployment's
 * record is refused, as replaying it would send that deployment's event through this one's
 * integration of the same name (its URL, its keys), and purging it would take it from them.
 */
import type { DeadLetterStore } from "../../delivery/dead-letters.js";
import { printable } from "../../output/printable.js";
import type { Selection } from "./selection.js";

type Verb = "list" | "replay" | "purge";

const WORDS: Readonly<Record<Verb, { done: string; how: string }>> = {
  list: { done: "listed", how: "list it" },
  replay: { done: "replayed", how: "replay it through that deployment" },
  purge: { done: "removed", how: "remove it" },
};

/**
 * Ids of another deployment's dead letters are refused (said on stderr) and left out of the
 * selection; `--integration` and `--all` reach only this deployment's records anyway.
 */
export async function leaveOutOthers(
  store: DeadLetterStore,
  selection: Selection,
  consumer: string,
  verb: Verb,
): Promise<{ selection: Selection; refused: Set<number> }> {
  if (selection.kind !== "ids") return { selection, refused: new Set() };
  const refused = await refuseOthers(store, selection.ids, consumer, verb);
  return {
    selection: { kind: "ids", ids: selection.ids.filter((id) => !refused.has(id)) },
    refused,
  };
}

/**
 * Says which of these ids are another deployment's, and whose; resolves with them. Nothing is
 * done with those: the caller leaves them out, and fails once it has done the rest.
 */
async function refuseOthers(
  store: DeadLetterStore,
  ids: number[],
  consumer: string,
  verb: Verb,
): Promise<Set<number>> {
  const others = await store.othersOf(ids);
  for (const [id, owner] of others) {
    const name = printable(owner);
    const { done, how } = WORDS[verb];
    process.stderr.write(
      `dead letter ${id} belongs to the deployment with --consumer ${name}, not to ` +
        `--consumer ${consumer}: not ${done} (give --consumer ${name} to ${how})\n`,
    );
  }
  return new Set(others.keys());
}
