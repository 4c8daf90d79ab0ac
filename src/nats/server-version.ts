/**
 * What a nats-server does, told by its version (from its INFO). An unknown version counts as
 * an old one: the choices it makes are the safe ones.
 */

function isAtLeast(version: string | undefined, wanted: [number, number, number]): boolean {
  const got = (version ?? "").split(".").map((part) => Number.parseInt(part));
  for (const [i, part] of wanted.entries()) {
    const have = Number.isNaN(got[i]) ? 0 : (got[i] ?? 0);
    if (have !== part) return have > part;
  }
  return true;
}

/** Whether this nats-server ends a pull request at its count with a status saying so. */
export function tellsBatchCompleted(version: string | undefined): boolean {
  return isAtLeast(version, [2, 10, 0]);
}

/**
 * Whether this nats-server's index of where each subject's messages start can be trusted by a
 * filtered read. On 2.9.10 it cannot: after a subject's newest message is removed, removing its
 * oldest (by id, or by a purge of the subject bounded by sequence) can leave the index past the
 * messages that remain, across restarts, and consumers filtered on the subject, reads by
 * subject and purges of it then pass them by. nats-server fixed such removals in its 2.10 line
 * (pull requests 6226 and 6526); 2.10.27 is the oldest release seen here without the fault.
 */
export function keepsSubjectIndex(version: string | undefined): boolean {
  return isAtLeast(version, [2, 10, 27]);
}

/** What the daemon says at start on a server whose subject index it cannot trust. */
export function subjectIndexWarning(version: string | undefined): string | undefined {
  if (keepsSubjectIndex(version)) return undefined;
  return (
    `nats-server ${version ?? "(version unknown)"} is older than 2.10.27: such servers can ` +
    "lose track of where a subject's messages start after some removals, and a consumer " +
    "created again then passes the messages left by. Retries and parked deliveries waiting " +
    "when hookswitch creates a consumer of theirs again (after it was deleted) may then " +
    "wait unseen: retries so passed by are counted (hookswitch_waiting_retries_passed_by), " +
    "and hookswitch keeps its parked deliveries' consumers however long they are unused; " +
    "`hookswitch dlq` reads its whole stream to find every dead letter. Upgrade nats-server " +
    "to 2.10.27 or later"
  );
}
