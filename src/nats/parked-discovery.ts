/**
 * Looks now and then for integrations with parked deliveries that this replica is not
 * reading: parked by another replica, or before a restart.
 */
import type { Logger } from "pino";
import { coerceError } from "../errors.js";
import { DELIVERY_STREAM } from "./layout.js";
import type { WaitingCounts } from "../delivery/waiting-counts.js";
import { periodic } from "../periodic.js";
import type { ParkedReaders } from "./parked-readers.js";
import { isMissingResource } from "./recovery.js";

export interface ParkedDiscovery {
  /** Looks once now, then every `intervalMs` until stopped. */
  start(): Promise<void>;
  stop(): void;
}

export function discoverParked(options: {
  parked: () => ParkedReaders | undefined;
  /** True while looking cannot work: JetStream being set up again, or NATS away. */
  paused: () => boolean;
  /** The deliveries stream found missing: the daemon sets it up again. */
  lost: (what: string) => void;
  /** What was found waiting, by integration, at each look. */
  found: (waiting: Map<string, WaitingCounts>) => void;
  log: Logger;
  intervalMs: number;
}): ParkedDiscovery {
  const { parked, paused, lost, found, log, intervalMs } = options;
  const look = async () => {
    // While JetStream is set up again, the deliveries stream may not exist yet; while NATS
    // is away the outage is logged once by the connection watch, not every 10 s here.
    if (paused()) return;
    try {
      const waiting = await parked()?.discover();
      if (waiting) found(waiting);
    } catch (err) {
      if (isMissingResource(err)) {
        lost(`stream ${DELIVERY_STREAM} not found`);
        log.debug({ err }, "cannot look for parked deliveries: the stream is missing");
      } else {
        // A NATS that hangs times it out until the connection watch notices: no stacks.
        log.warn(
          { error: coerceError(err).message },
          "cannot look for parked deliveries; trying again shortly",
        );
      }
    }
  };
  return periodic(look, intervalMs);
}
