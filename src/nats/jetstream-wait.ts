/**
 * Waiting for JetStream at start. NATS may answer while JetStream does not: a server
 * started without JetStream, or a cluster node whose peers are down (no quorum, no meta
 * leader: JetStream requests time out). The daemon then waits, not ready, and asks again
 * with a bounded back-off, rather than exiting: a pod restarted while the NATS cluster
 * lacks quorum would otherwise crash-loop. Only a refusal that no waiting mends (the NATS
 * user may not use the JetStream API, or not receive its replies) ends the start.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { JetStreamApiCodes, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { NatsSetupError, coerceError, errorChain } from "../errors.js";
import { redactServer } from "./url-credentials.js";
import { doublingDelayMs } from "../backoff.js";
import { permissionAdvice, refusedSubject } from "./permission-advice.js";

const JETSTREAM_FIRST_WAIT_MS = 1_000;
const JETSTREAM_MAX_WAIT_MS = 15_000;

export interface JetStreamWaitOptions {
  log: Logger;
  /** Aborted on stop: the wait ends and resolves undefined. */
  signal: AbortSignal;
  /** Called with why JetStream is not usable yet, and with undefined once it answers. */
  onWaiting: (reason: string | undefined) => void;
  /** The connection's `--inbox-prefix`, for the advice when its replies are refused. */
  inboxPrefix?: string | undefined;
  firstWaitMs?: number;
  maxWaitMs?: number;
}

/**
 * Resolves with a JetStream manager once JetStream answers an account-info request, or
 * undefined when `signal` is aborted first. Rejects (NatsSetupError) only when the NATS
 * user is refused the JetStream API, or the connection closes for good.
 */
export async function waitForJetStream(
  nc: NatsConnection,
  options: JetStreamWaitOptions,
): Promise<JetStreamManager | undefined> {
  const { log, signal, onWaiting } = options;
  const firstWaitMs = options.firstWaitMs ?? JETSTREAM_FIRST_WAIT_MS;
  const maxWaitMs = options.maxWaitMs ?? JETSTREAM_MAX_WAIT_MS;
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    if (signal.aborted) return undefined;
    try {
      const jsm = await jetstreamManager(nc);
      if (attempt > 1) {
        log.info(
          { attempts: attempt, waitedSeconds: Math.round((Date.now() - started) / 1000) },
          "JetStream answers now: setting up streams and consumers",
        );
      }
      onWaiting(undefined);
      return jsm;
    } catch (err) {
      if (signal.aborted) return undefined;
      const error = coerceError(err);
      const refused = refusedSubject(error);
      if (refused) {
        throw new NatsSetupError(permissionAdvice(refused, options.inboxPrefix), { cause: error });
      }
      if (nc.isClosed()) {
        throw new NatsSetupError(
          `the NATS connection closed while waiting for JetStream: ${error.message}`,
          { cause: error },
        );
      }
      const problem = describeJetStreamProblem(error);
      const waitMs = doublingDelayMs(attempt - 1, firstWaitMs, maxWaitMs);
      onWaiting(problem.reason);
      // Its message says what is wrong and what to do: no stack, retried for as long as it lasts.
      log.warn(
        {
          error: error.message,
          server: redactServer(nc.getServer()),
          attempt,
          retryInSeconds: waitMs / 1000,
        },
        `waiting for JetStream: ${problem.reason} — ${problem.advice}; asking again in ${formatSeconds(waitMs)}`,
      );
      try {
        await sleep(waitMs, undefined, { signal });
      } catch {
        return undefined; // aborted: a stop came while waiting
      }
    }
  }
}

/**
 * A JetStream manager at once, for the commands that fail rather than wait (`emit`, `dlq`):
 * the client's bare "jetstream is not enabled" becomes what `run` says, and what to do.
 */
export async function jetstreamManagerNow(
  nc: NatsConnection,
  inboxPrefix?: string,
): Promise<JetStreamManager> {
  try {
    return await jetstreamManager(nc);
  } catch (err) {
    const error = coerceError(err);
    const refused = refusedSubject(error);
    if (refused) throw new NatsSetupError(permissionAdvice(refused, inboxPrefix), { cause: error });
    const { reason, advice } = describeJetStreamProblem(error);
    throw new NatsSetupError(`${reason} at ${redactServer(nc.getServer())} — ${advice}`, {
      cause: error,
    });
  }
}

export interface JetStreamProblem {
  /** Short, for `/readyz` and the log. */
  reason: string;
  /** What an operator can look at. */
  advice: string;
}

const NO_QUORUM =
  "a NATS cluster without quorum (peers down, no JetStream meta leader) or JetStream still starting";

/** Why a JetStream account-info request failed, in words an operator can act on. */
export function describeJetStreamProblem(error: Error): JetStreamProblem {
  const names = errorChain(error).map((e) => e.name);
  if (names.includes("JetStreamNotEnabled")) {
    return {
      reason: "JetStream is not enabled on the NATS server (no JetStream answered)",
      advice: "start nats-server with -js (or a jetstream block in its configuration)",
    };
  }
  const apiCode = errorChain(error)
    .map((e) => (e as { code?: unknown }).code)
    .find((code) => typeof code === "number");
  if (
    names.includes("JetStreamApiError") &&
    apiCode === JetStreamApiCodes.JetStreamNotEnabledForAccount
  ) {
    return {
      reason: "JetStream is not enabled for this NATS account",
      advice: "enable JetStream for the account in the NATS server's configuration",
    };
  }
  if (names.includes("TimeoutError")) {
    return { reason: "JetStream is not answering (no reply in time)", advice: NO_QUORUM };
  }
  const apiStatus = errorChain(error)
    .map((e) => (e as { status?: unknown }).status)
    .find((status) => typeof status === "number");
  if (names.includes("JetStreamApiError") && apiStatus === 503) {
    return { reason: `JetStream is not available yet (${error.message})`, advice: NO_QUORUM };
  }
  if (names.includes("JetStreamApiError")) {
    return {
      reason: `JetStream answered with an error: ${error.message}`,
      advice: "see the NATS server's log",
    };
  }
  return {
    reason: `JetStream request failed: ${redactServer(error.message || error.name)}`,
    advice: "NATS may be restarting",
  };
}

function formatSeconds(ms: number): string {
  const seconds = ms / 1000;
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`;
}
