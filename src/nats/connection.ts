/**
 * Connecting to NATS: credentials and TLS from settings, endless reconnects, and a status
 * watcher the daemon reads for `/readyz`. No URL user-info or credential ever reaches a log.
 */
import {
  connect,
  type ConnectionOptions,
  type NatsConnection,
  type Status,
} from "@nats-io/transport-node";
import { NatsSetupError, coerceError } from "../errors.js";
import type { Logger } from "../logger.js";
import { authOptions } from "./auth-options.js";
import { RETRY_EVERY_MS, waitForFirstConnection } from "./first-connection.js";
import { createPermissionLog } from "./permission-log.js";
import {
  CLIENT_CERTIFICATE_ADVICE,
  connectAdvice,
  describeConnectError,
  whenNoCertificateCanConnect,
} from "./connect-advice.js";
import type { NatsSettings } from "./settings.js";
import { tlsOptions } from "./tls-options.js";
import { redactServer } from "./url-credentials.js";

export interface ConnectOptions {
  /** Client name shown by the server (e.g. `hookswitch-run`). */
  name: string;
  log?: Logger;
  /** The daemon waits (retrying) while NATS is down; CLI commands fail fast. */
  waitOnFirstConnect: boolean;
  /** Abandons a wait for the first connection: `connectNats` then rejects with its reason. */
  signal?: AbortSignal;
  /** How long a CLI command tries before giving up; default 5 s. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;
/**
 * A hung server (stopped process, frozen VM) or a half-open connection sends no error and
 * no close: only unanswered pings show it. The client's defaults (2 min, 2 pings out) left
 * the daemon ready and delivering nothing for over 4 min. With a ping every 10 s and the
 * connection given up when 2 are unanswered at the next one, a stale connection is noticed
 * 20–30 s after the server stops answering: then /readyz says not connected and the client
 * reconnects (to another server of the list if given). A busy but healthy server answers
 * a ping in milliseconds, so 20 s of silence is not a false alarm; a ping every 10 s per
 * daemon costs the server nothing.
 */
const PING_INTERVAL_MS = 10_000;
const MAX_PINGS_OUT = 2;

export async function connectNats(
  settings: NatsSettings,
  options: ConnectOptions,
): Promise<NatsConnection> {
  const connectionOptions: ConnectionOptions = {
    servers: settings.servers,
    name: options.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: RETRY_EVERY_MS,
    timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    pingInterval: PING_INTERVAL_MS,
    maxPingOut: MAX_PINGS_OUT,
    // Otherwise every request (each JetStream publish) builds two Error objects up front,
    // only to give a timeout a deeper stack: 6% of the CPU of a drain that parks work.
    noAsyncTraces: true,
    ...(settings.inboxPrefix === undefined ? {} : { inboxPrefix: settings.inboxPrefix }),
    ...authOptions(settings.auth),
    ...tlsOptions(settings.servers, settings.tls),
  };
  const where = settings.servers.map(redactServer).join(",");
  const advice = (error: Error) => connectAdvice(error, settings);
  // The daemon waits for NATS by design (its warnings say why); a command should not.
  const nc = options.waitOnFirstConnect
    ? await waitForFirstConnection(connectionOptions, {
        where,
        ...(options.log ? { log: options.log } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        describe: describeConnectError,
        advise: advice,
      })
    : await connectOrExplain(connectionOptions, settings, { where, advice });
  options.log?.info({ server: redactServer(nc.getServer()) }, "connected to NATS");
  return nc;
}

/** One try, failing with what to do, and at once when no client certificate can connect. */
async function connectOrExplain(
  connectionOptions: ConnectionOptions,
  settings: NatsSettings,
  { where, advice }: { where: string; advice: (error: Error) => Promise<string> },
): Promise<NatsConnection> {
  const certificateCheck =
    settings.tls?.client === undefined ? whenNoCertificateCanConnect(settings.servers) : undefined;
  const connecting = connect(connectionOptions);
  let nc: NatsConnection | undefined;
  try {
    nc = await (certificateCheck
      ? Promise.race([connecting, certificateCheck.hopeless])
      : connecting);
  } catch (err) {
    const error = coerceError(err);
    throw new NatsSetupError(
      `cannot reach NATS at ${where}: ${describeConnectError(error)} — ${await advice(error)}`,
      { cause: error },
    );
  } finally {
    certificateCheck?.cancel();
  }
  if (nc === undefined) {
    // Left to end on its own (its timeout): the client has no way to cancel a connect.
    connecting.then((late) => late.close()).catch(() => undefined);
    throw new NatsSetupError(
      `cannot reach NATS at ${where}: no client certificate — ${CLIENT_CERTIFICATE_ADVICE}`,
    );
  }
  return nc;
}

/**
 * Why a connection the daemon did not close ended: the client gives up only on a login the
 * server refused twice in a row (or a server error it cannot recover from).
 */
export function closedForGood(error: Error | void): NatsSetupError {
  const why = error ? `: ${describeConnectError(error)}` : "";
  return new NatsSetupError(
    `the NATS connection closed for good${why} — stopping, to be started again; ` +
      "check the NATS credentials and the server's log",
    { cause: error },
  );
}

/**
 * Whether the connection is up, and when it is up again. The client writes nothing while it
 * is down: what it is given then (an ack, say) is dropped when it connects again.
 */
export interface NatsLink {
  isConnected(): boolean;
  /** Resolves once the connection is up: at once when it is. */
  connected(): Promise<void>;
}

export interface ConnectionWatch extends NatsLink {
  /** Times the connection was lost since the watch started (not counting its close at stop). */
  disconnections(): number;
  stop(): void;
}

/** Status changes that are noise at info level. */
const QUIET_STATUS = new Set(["ping", "reconnecting", "slowConsumer"]);

/**
 * Logs every connection change and tracks whether the connection is up.
 * The connection is assumed up when the watch starts (`connectNats` resolved).
 */
export function watchConnection(
  nc: NatsConnection,
  log: Logger,
  inboxPrefix?: string,
): ConnectionWatch {
  const refusal = createPermissionLog(log, inboxPrefix);
  let connected = !nc.isClosed();
  // Pending while the connection is down; resolved when it is back.
  let back = (): void => undefined;
  const down = () => new Promise<void>((resolve) => (back = resolve));
  let up = connected ? Promise.resolve() : down();
  const setConnected = (now: boolean) => {
    if (now && !connected) back();
    if (!now && connected) up = down();
    connected = now;
  };
  let stopped = false;
  let disconnections = 0;
  const statuses = nc.status();
  const iterator = statuses[Symbol.asyncIterator]();
  const loop = async () => {
    for (;;) {
      const next = await iterator.next();
      if (next.done || stopped) return;
      const now = connectedAfter(next.value, connected);
      if (connected && !now && next.value.type !== "close") disconnections++;
      setConnected(now);
      if (next.value.type === "error" && refusal(next.value.error)) continue;
      logStatus(log, next.value);
    }
  };
  loop().catch((err: unknown) => log.warn({ err: coerceError(err) }, "NATS status watch ended"));
  nc.closed()
    .then(() => setConnected(false))
    .catch(() => undefined);
  return {
    isConnected: () => connected && !nc.isClosed(),
    connected: () => up,
    disconnections: () => disconnections,
    stop() {
      stopped = true;
      void iterator.return?.();
    },
  };
}

function connectedAfter(status: Status, current: boolean): boolean {
  switch (status.type) {
    case "disconnect":
    case "staleConnection":
    case "close":
      return false;
    case "reconnect":
      return true;
    default:
      return current;
  }
}

function logStatus(log: Logger, status: Status): void {
  const fields: Record<string, unknown> = { type: status.type };
  if ("server" in status) fields.server = redactServer(status.server);
  if (status.type === "error") fields.err = status.error;
  if (QUIET_STATUS.has(status.type)) log.debug(fields, "NATS connection status");
  // Losing NATS stops delivery: an alert on warn and above should see it.
  else if (status.type === "disconnect") log.warn(fields, "NATS connection: disconnect");
  else if (status.type === "staleConnection")
    log.warn(fields, "NATS connection: the server stopped answering pings; reconnecting");
  else log.info(fields, `NATS connection: ${status.type}`);
}
