/**
 * How long a command waits for a NATS connection lost in its middle.
 *
 * The client reconnects for as long as it lives (connection.ts), which the daemon wants: its
 * work waits for NATS and says so. A command (`dlq list`, `dlq replay`) would instead wait in
 * silence, forever, on a read the lost connection never answers, and `emit` would fail on a
 * publish's timeout without saying why. So a command says once that the connection is lost,
 * and gives up when it has not come back within a bound.
 */
import type { NatsConnection, Status } from "@nats-io/transport-node";
import { NatsConnectionLostError } from "../errors.js";

export interface OutageLimit {
  /** Rejects with NatsConnectionLostError once the connection has been down for the bound. */
  readonly exceeded: Promise<never>;
  stop(): void;
}

export interface OutageLimitOptions {
  graceMs: number;
  /** Told once per outage, as it starts: the command is waiting, not hung. */
  onLost?: (graceMs: number) => void;
}

/** The status changes that mean the connection is not there now, or is again. */
export function outageChange(status: Pick<Status, "type">): "lost" | "back" | undefined {
  switch (status.type) {
    case "disconnect":
    case "staleConnection":
      return "lost";
    case "reconnect":
      return "back";
    default:
      return undefined;
  }
}

/** Watches a connection's `statuses` (`nc.status()`) for outages longer than the bound. */
export function limitOutages(
  statuses: AsyncIterable<Pick<Status, "type">>,
  options: OutageLimitOptions,
): OutageLimit {
  const { graceMs, onLost } = options;
  let fail: (error: Error) => void = () => undefined;
  const exceeded = new Promise<never>((_, reject) => (fail = reject));
  // Observed by whoever races it; without this a limit nobody awaited would be unhandled.
  exceeded.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const changes = statuses[Symbol.asyncIterator]();
  const watch = async () => {
    for (let next = await changes.next(); !next.done && !stopped; next = await changes.next()) {
      const change = outageChange(next.value);
      if (change === "lost" && timer === undefined) {
        onLost?.(graceMs);
        timer = setTimeout(() => fail(new NatsConnectionLostError(graceMs)), graceMs);
      } else if (change === "back") {
        clearTimeout(timer);
        timer = undefined;
      }
    }
  };
  // nats.js ends a status iterator without an error, and nothing above throws; were the
  // watch to fail anyway, the command would lose this bound and wait as the daemon does.
  void watch().catch(() => undefined);
  return {
    exceeded,
    stop() {
      stopped = true;
      clearTimeout(timer);
      void changes.return?.();
    },
  };
}

/** How long a command waits for a lost NATS connection to come back before it stops. */
const COMMAND_OUTAGE_GRACE_MS = 10_000;

/**
 * Runs a command's `work` on `nc`, telling `say` once per outage, and ends it with
 * NatsConnectionLostError once the connection has been down for the grace period. The work
 * is then abandoned: closing the connection ends whatever it still waits for.
 */
export async function withinOutageLimit<T>(
  nc: NatsConnection,
  work: () => Promise<T>,
  say: (note: string) => void,
  graceMs = COMMAND_OUTAGE_GRACE_MS,
): Promise<T> {
  const outages = limitOutages(nc.status(), {
    graceMs,
    onLost: () =>
      say(
        `note: the NATS connection was lost; waiting up to ${graceMs / 1000} s for it to ` +
          "come back\n",
      ),
  });
  try {
    const working = work();
    working.catch(() => undefined);
    return await Promise.race([working, outages.exceeded]);
  } finally {
    outages.stop();
  }
}
