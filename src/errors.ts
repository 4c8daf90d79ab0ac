/**
 * Typed errors. Each sets `name`, keeps `cause`, and says what to do next.
 * Only `src/cli.ts` turns them into exit codes.
 */

/** Bad command-line usage: exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * The error was already reported to the user; exit with `code` and print nothing more.
 * `immediate` asks the CLI to exit without waiting for open handles (a forced stop).
 */
export class ExitError extends Error {
  override name = "ExitError";
  readonly immediate: boolean;
  constructor(
    readonly code: number,
    message = `exit ${code}`,
    options: { immediate?: boolean } = {},
  ) {
    super(message);
    this.immediate = options.immediate ?? false;
  }
}

/** A configuration problem that makes a command unable to go on (e.g. `--strict` with invalid files). */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** A request refused by the egress policy before any byte was sent. */
export class EgressDeniedError extends Error {
  override name = "EgressDeniedError";
  readonly code = "EGRESS_DENIED";
}

/** NATS could not be reached or refused an operation hookswitch needs. */
export class NatsSetupError extends Error {
  override name = "NatsSetupError";
}

/** A command's NATS connection was lost and did not come back in time (nats/outage-limit.ts). */
export class NatsConnectionLostError extends NatsSetupError {
  override name = "NatsConnectionLostError";
  constructor(readonly waitedMs: number) {
    super(
      `the NATS connection was lost and not back within ${waitedMs / 1000} s: stopped here; ` +
        "what was done so far stays done, so run the command again once NATS is reachable",
    );
  }
}

/**
 * The event stream is missing and `--no-create-stream` forbids creating it: the daemon is
 * not ready, and says why, until operations create it.
 */
export class StreamMissingError extends NatsSetupError {
  override name = "StreamMissingError";
  constructor(
    readonly stream: string,
    subjects: string[],
  ) {
    super(
      `stream ${stream} does not exist and --no-create-stream is set: create it ` +
        `(subjects ${subjects.join(", ")}) or drop --no-create-stream`,
    );
  }
}

/**
 * The event stream's subjects overlap another stream's: NATS lets one stream take a subject,
 * so the events are in that stream. Names it, and how to read from it instead.
 */
export class StreamOverlapError extends NatsSetupError {
  override name = "StreamOverlapError";
  constructor(
    readonly stream: string,
    subjects: string[],
    readonly others: string[],
    options?: ErrorOptions,
  ) {
    const them = others.length === 1 ? `stream ${others[0]}` : `streams ${others.join(", ")}`;
    super(
      `stream ${stream} cannot take subjects ${subjects.join(", ")}: ${them} already ` +
        `carries subjects overlapping them, and NATS gives a subject to one stream only. ` +
        `Run hookswitch with --stream ${others[0]} (HOOKSWITCH_STREAM) and ` +
        `--no-create-stream to read the events from it as it is (without it, hookswitch ` +
        `would widen that stream's subjects to its own), or change --subjects ` +
        `(HOOKSWITCH_SUBJECTS) so they do not overlap it`,
      options,
    );
  }
}

/**
 * The event stream has work-queue retention: NATS lets a consumer of it only start at its
 * first message, and lets no other consumer read the same subjects.
 */
export class WorkQueueStreamError extends NatsSetupError {
  override name = "WorkQueueStreamError";
  constructor(readonly stream: string) {
    super(
      `stream ${stream} has work-queue retention, which needs --deliver all ` +
        `(HOOKSWITCH_DELIVER=all): a consumer of a work queue reads it from its first ` +
        `message. It also means each event leaves the stream once hookswitch acknowledges ` +
        `it, and no other consumer may read the same subjects; use a stream with limits ` +
        `retention if others need them`,
    );
  }
}

/**
 * A JetStream publish that no stream took: the stream for its subject is gone (deleted
 * while hookswitch runs, or NATS restarted without its storage). The NATS client says
 * "jetstream is not enabled" (no responders), which sends the reader the wrong way; this
 * names the stream. A missing resource: the daemon sets its streams up again (recovery.ts).
 */
export class NoStreamError extends Error {
  override name = "NoStreamError";
  constructor(
    readonly subject: string,
    readonly stream: string | undefined,
    options?: ErrorOptions,
  ) {
    const what =
      stream === undefined
        ? `no JetStream stream stores ${subject}`
        : `stream ${stream} does not exist: nothing stores ${subject}`;
    super(`${what} (deleted, or NATS restarted without its storage)`, options);
  }
}

/**
 * A dead-letter listing read fewer records than the queue held: what it read was listed (or
 * replayed), the rest was not, and the command fails rather than pass part for the whole.
 */
export class DeadLetterListIncompleteError extends Error {
  override name = "DeadLetterListIncompleteError";
  constructor(
    readonly read: number,
    readonly total: number,
    options?: ErrorOptions,
  ) {
    const failed = options?.cause instanceof Error ? ` or failed (${options.cause.message})` : "";
    super(
      `read ${read} of the ${total} dead letters the queue held, as fetches came back empty` +
        `${failed}: the others were not listed or replayed; run the command again`,
      options,
    );
  }
}

/** The HTTP endpoints cannot listen on `--http-addr`: the daemon stops before anything else. */
export class HttpListenError extends Error {
  override name = "HttpListenError";
}

/** A file that comes with hookswitch (a schema) cannot be read: the installation is damaged. */
export class InstallError extends Error {
  override name = "InstallError";
}

/**
 * Errors whose message says what went wrong and what to do: logged without their stack,
 * which would only bury that message under lines of hookswitch's own code.
 */
export function isExplained(err: unknown): err is Error {
  return [UsageError, ConfigError, NatsSetupError, HttpListenError, InstallError].some(
    (type) => err instanceof type,
  );
}

/** Normalises anything thrown into an Error. */
export function coerceError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/**
 * An error and the errors it wraps (`cause`), outermost first, at most `depth` of them:
 * what a client error says happened is often some layers down (a timeout in a request in
 * a JetStream call).
 */
export function errorChain(err: unknown, depth = 5): Error[] {
  const chain: Error[] = [];
  for (let e = err; e instanceof Error && chain.length < depth; e = e.cause) chain.push(e);
  return chain;
}

/**
 * Node.js 24 ends the message of a certificate that fails verification with advice of its own
 * ("; if the root CA is installed locally, try running Node.js with --use-system-ca"), even
 * when that flag is set. hookswitch gives its own advice, which works on every Node.js it
 * supports (NODE_EXTRA_CA_CERTS, webhook.tls.ca); without the runtime's, a failure reads the
 * same on each and tells the operator one thing to do.
 */
const RUNTIME_CA_ADVICE =
  /; if the root CA is installed locally, try running Node\.js with\s+--use-system-ca/gi;

/** A TLS error's message without the runtime's own advice (see RUNTIME_CA_ADVICE). */
export function withoutRuntimeCaAdvice(message: string): string {
  return message.replace(RUNTIME_CA_ADVICE, "");
}
