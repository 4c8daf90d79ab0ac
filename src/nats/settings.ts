/**
 * What hookswitch needs to reach NATS and find its streams, as typed settings, and their
 * defaults. The flags and variables they come from are read in
 * `src/commands/options/nats-options.ts`.
 */

export const DEFAULT_NATS_URL = "nats://127.0.0.1:4222";
export const DEFAULT_STREAM = "PBX_EVENTS";
export const DEFAULT_SUBJECTS = "pbx.>";
export const DEFAULT_CONSUMER = "hookswitch";

export type DeliverFrom = "new" | "all";

/** How to authenticate; at most one kind, never logged. */
export type NatsAuth =
  | { kind: "none" }
  | { kind: "userPassword"; user: string; password: string }
  | { kind: "token"; token: string }
  | { kind: "creds"; file: string }
  | { kind: "nkey"; file: string };

/** PEM files for TLS, by path; any of them makes TLS required. */
export interface NatsTlsFiles {
  /** CAs trusted for the server's certificate, instead of the default ones. */
  ca?: string;
  /** The client certificate and its key, for servers that verify clients. */
  client?: { cert: string; key: string };
}

export interface JetStreamNames {
  stream: string;
  subjects: string[];
  consumer: string;
  deliver: DeliverFrom;
  createStream: boolean;
  /** Replicas of the streams hookswitch creates. */
  replicas: number;
  /** Max age of the event stream when hookswitch creates it; absent: no limit. */
  streamMaxAgeMs?: number;
  /**
   * The most retries and replays that wait at once (the delivery consumer's
   * `max_ack_pending`); absent: DELIVERY_CONSUMER_DEFAULTS'.
   */
  maxWaitingRetries?: number;
}

export interface NatsSettings {
  /**
   * One or more server URLs (comma-separated in `--nats`). `parseNatsSettings` moves their
   * user-info to `auth`; a URL given otherwise may still carry it: never log one raw.
   */
  servers: string[];
  auth: NatsAuth;
  /** Present when NATS_CA, or NATS_CERT and NATS_KEY, are set. */
  tls?: NatsTlsFiles;
  /**
   * What the subjects of the client's replies start with (`_INBOX` when absent): a user
   * allowed to subscribe only to `<prefix>.>` cannot read other clients' replies.
   */
  inboxPrefix?: string;
  /** Present when the command was given the JetStream flags (`run`). */
  jetstream?: JetStreamNames;
}
