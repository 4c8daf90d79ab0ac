/**
 * The daemon tests that look at what a dead letter keeps: publish one event, then read the
 * queue through the CLI, as an operator would, until every integration has given up.
 */
import { runCli } from "./cli.js";
import { connectPublisher, makeEvent } from "./daemon.js";
import { waitFor } from "./wait.js";

/** Publishes one event, then polls `dlq list --json` until it lists at least `count` records. */
export async function publishUntilDeadLetters<T>(
  natsUrl: string,
  count: number,
  what: string,
): Promise<T[]> {
  const publisher = await connectPublisher(natsUrl);
  await publisher.publish(makeEvent());
  await publisher.close();
  return waitFor(
    async () => {
      const listed = await runCli(["dlq", "list", "--json", "--nats", natsUrl]);
      const parsed = listed.code === 0 ? (JSON.parse(listed.stdout) as T[]) : [];
      return parsed.length >= count ? parsed : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 500, what },
  );
}
