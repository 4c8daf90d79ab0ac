import type { NatsConnection } from "@nats-io/transport-node";
import { refusedSubject } from "./permission-advice.js";

/**
 * A publish NATS refuses (the user lacks the permission) is never answered: the server
 * tells the connection instead, naming the subject. Those waiting on it fail at once, with
 * that reason, rather than at the timeout as if NATS were slow.
 */
export function watchRefusals(
  nc: NatsConnection,
  refuse: (subject: string, error: Error) => void,
): { stop(): void } {
  const iterator = nc.status()[Symbol.asyncIterator]();
  const loop = async () => {
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      if (next.value.type !== "error") continue;
      const refused = refusedSubject(next.value.error);
      if (refused?.operation === "publish") refuse(refused.subject, next.value.error);
    }
  };
  // nats.js ends a status iterator without an error, and nothing above throws. Were the
  // loop to end anyway, a refused publish would fail at its timeout, as without this watch.
  void loop().catch(() => undefined);
  return { stop: () => void iterator.return?.() };
}
