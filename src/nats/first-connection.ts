/**
 * The daemon's first connection to NATS: tried every second until it is made or the start
 * is abandoned, with a warning soon after the first failure and then every half minute that
 * says why. The loop is ours, not the client's `waitOnFirstConnect`: that one cannot be
 * cancelled, so a stop while waiting left its retries running in the process until the CLI
 * ended it, and it keeps each attempt's reason to itself. As the client does, a login refused
 * twice in a row is not waited out: other credentials will not come by waiting.
 */
import { setTimeout as sleep } from "node:timers/promises";
import {
  connect,
  errors,
  type ConnectionOptions,
  type NatsConnection,
} from "@nats-io/transport-node";
import { NatsSetupError, coerceError } from "../errors.js";
import type { Logger } from "../logger.js";

export interface FirstConnectionWait {
  /** The servers, for the warning, without user-info. */
  where: string;
  log?: Logger;
  /** Aborted when the start is abandoned (a stop): the wait then rejects with its reason. */
  signal?: AbortSignal;
  /** What went wrong in an attempt, in a few words. */
  describe(error: Error): string;
  /** What to do about it. */
  advise(error: Error): Promise<string>;
}

export const RETRY_EVERY_MS = 1_000;
const FIRST_REMINDER_MS = 2_000;
const REMINDER_EVERY_MS = 30_000;

/** Whether a warning is due, `waitedMs` into the wait, the last one given `sinceLastMs` ago. */
export function reminderDue(waitedMs: number, sinceLastMs: number | undefined): boolean {
  return sinceLastMs === undefined
    ? waitedMs >= FIRST_REMINDER_MS
    : sinceLastMs >= REMINDER_EVERY_MS;
}

/** A refused login, or expired credentials: the server's answer, not its absence. */
export function isLoginRefused(error: Error | undefined): boolean {
  return (
    error instanceof errors.AuthorizationError ||
    error instanceof errors.UserAuthenticationExpiredError
  );
}

export async function waitForFirstConnection(
  options: ConnectionOptions,
  wait: FirstConnectionWait,
): Promise<NatsConnection> {
  const started = Date.now();
  let remindedAt: number | undefined;
  let previous: Error | undefined;
  for (;;) {
    const outcome = await attempt(options, wait.signal);
    if (outcome.nc) return outcome.nc;
    if (isLoginRefused(outcome.error) && isLoginRefused(previous)) {
      throw new NatsSetupError(
        `cannot reach NATS at ${wait.where}: ${wait.describe(outcome.error)} — ${await wait.advise(outcome.error)}`,
        { cause: outcome.error },
      );
    }
    previous = outcome.error;
    const now = Date.now();
    if (
      wait.log &&
      reminderDue(now - started, remindedAt === undefined ? undefined : now - remindedAt)
    ) {
      remindedAt = now;
      const reason = `${wait.describe(outcome.error)}: ${await wait.advise(outcome.error)}`;
      wait.signal?.throwIfAborted();
      wait.log.warn(
        { server: wait.where, waitedSeconds: Math.round((now - started) / 1000) },
        `waiting for NATS at ${wait.where}: not reachable yet (${reason}), retrying every second`,
      );
    }
    await sleep(RETRY_EVERY_MS, undefined, wait.signal ? { signal: wait.signal } : {});
  }
}

type Attempt = { nc: NatsConnection; error?: never } | { nc?: never; error: Error };

/** One attempt at every server; one that is still under way at an abort is closed when it ends. */
async function attempt(options: ConnectionOptions, signal?: AbortSignal): Promise<Attempt> {
  signal?.throwIfAborted();
  const connecting = connect({ ...options, waitOnFirstConnect: false });
  const settled = connecting.then(
    (nc): Attempt => ({ nc }),
    (err: unknown): Attempt => ({ error: coerceError(err) }),
  );
  if (!signal) return settled;
  let onAbort = (): void => undefined;
  const abandoned = new Promise<undefined>((resolve) => {
    onAbort = () => resolve(undefined);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    const outcome = await Promise.race([settled, abandoned]);
    if (outcome && !signal.aborted) return outcome;
    void settled.then((late) => late.nc?.close()).catch(() => undefined);
    throw signal.reason;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
