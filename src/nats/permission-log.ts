/**
 * NATS's refusals of a subject, logged at error with what to allow. The server refuses each
 * message on its own (every acknowledgement of a consumer the user may not acknowledge),
 * so a refusal is logged once a minute per subject to allow, with how many came between.
 */
import type { Logger } from "../logger.js";
import { permissionAdvice, refusedSubject, subjectToAllow } from "./permission-advice.js";

const INTERVAL_MS = 60_000;
/** Kinds of refusal kept apart; past that many, further kinds are not logged. */
const MOST_KINDS = 100;

/** Returns a function that logs `error` when it is a refusal, and says whether it was one. */
export function createPermissionLog(
  log: Logger,
  inboxPrefix: string | undefined,
  now: () => number = Date.now,
): (error: Error) => boolean {
  const kinds = new Map<string, { loggedAt: number; unlogged: number }>();
  return (error) => {
    const refused = refusedSubject(error);
    if (!refused) return false;
    const kind = `${refused.operation} ${subjectToAllow(refused.subject, inboxPrefix)}`;
    const seen = kinds.get(kind);
    const at = now();
    if (seen && at - seen.loggedAt < INTERVAL_MS) {
      seen.unlogged++;
      return true;
    }
    if (!seen && kinds.size >= MOST_KINDS) return true;
    const between = seen?.unlogged ?? 0;
    kinds.set(kind, { loggedAt: at, unlogged: 0 });
    const more = between > 0 ? ` (${between} more refused like it since the last such line)` : "";
    log.error(
      { operation: refused.operation, subject: refused.subject },
      `${permissionAdvice(refused, inboxPrefix)}${more}`,
    );
    return true;
  };
}
