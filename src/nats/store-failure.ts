/**
 * A record hookswitch could not store in its own streams (HOOKSWITCH_DELIVERIES,
 * HOOKSWITCH_DLQ) because of NATS: JetStream refused it (out of storage, the stream full)
 * or did not answer. Expected while NATS is in that state, and the message is handed back
 * to come again, so it is told without a stack; anything else thrown is a bug, and keeps it.
 */
import { JetStreamApiError, JetStreamError } from "@nats-io/jetstream";
import {
  ClosedConnectionError,
  ConnectionError,
  DrainingConnectionError,
  NoRespondersError,
  PermissionViolationError,
  RequestError,
  TimeoutError,
} from "@nats-io/transport-node";
import { errorChain, NoStreamError } from "../errors.js";
import { JetStreamRefusalError, PublishError } from "./stored-publish.js";
import { permissionAdvice, refusedSubject } from "./permission-advice.js";

/** What NATS and its client throw when a message is not stored. */
const NATS_FAILURES = [
  PublishError,
  NoStreamError,
  JetStreamError,
  JetStreamApiError,
  ClosedConnectionError,
  ConnectionError,
  DrainingConnectionError,
  NoRespondersError,
  PermissionViolationError,
  RequestError,
  TimeoutError,
];

/** Where the operating guide tells what to do (its section's title). */
const STORAGE_DOCS = "the operating guide, 'When JetStream cannot store'";

export class StoreFailedError extends Error {
  override name = "StoreFailedError";
  /** True when JetStream answered with a refusal, false when it did not answer. */
  readonly refused: boolean;

  constructor(
    readonly stream: string,
    options: { cause: Error },
  ) {
    super(`stream ${stream} did not store a record: ${options.cause.message}`, options);
    this.refused = errorChain(options.cause).some(
      (e) => e instanceof JetStreamRefusalError || e instanceof JetStreamApiError,
    );
  }

  /** `err` as a store failure of `stream` when NATS caused it; otherwise `err` itself. */
  static of(stream: string, err: unknown): unknown {
    if (err instanceof StoreFailedError) return err;
    const cause = errorChain(err).find((e) => NATS_FAILURES.some((type) => e instanceof type));
    return cause && err instanceof Error ? new StoreFailedError(stream, { cause: err }) : err;
  }

  /** What the operator should do about it. */
  advice(): string {
    const refused = refusedSubject(this);
    if (refused) return permissionAdvice(refused);
    return this.refused
      ? `JetStream is out of storage or the stream is full: free space on the NATS server, ` +
          `or raise the account's JetStream storage or the stream's limits (see ${STORAGE_DOCS})`
      : `NATS did not answer: see that it is reachable and not overloaded (see ${STORAGE_DOCS})`;
  }
}
