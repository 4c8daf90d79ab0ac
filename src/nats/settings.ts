/**
 * The NATS flags shared by `run`, `emit` and `dlq`, and their parsing into typed settings.
 * Credentials come from the environment: the credential variables, or the user-info of
 * the server URLs in NATS_URL (as the nats CLI and the Go client take them). `--nats` takes
 * user-info too, but a password on the command line shows in process listings and shell
 * history.
 */
import { Option, type Command } from "commander";
import { UsageError } from "../errors.js";

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
  | { kind: "creds"; file: string };

export interface JetStreamNames {
  stream: string;
  subjects: string[];
  consumer: string;
  deliver: DeliverFrom;
  createStream: boolean;
  /** Replicas of the streams hookswitch creates. */
  replicas: number;
}

export interface NatsSettings {
  /**
   * One or more server URLs (comma-separated in `--nats`). `parseNatsSettings` moves their
   * user-info to `auth`; a URL given otherwise may still carry it: never log one raw.
   */
  servers: string[];
  auth: NatsAuth;
  /** Present when the command was given the JetStream flags (`run`). */
  jetstream?: JetStreamNames;
}

/** Adds `--nats` and, with `jetstream`, the stream and consumer flags to `cmd`. */
export function addNatsOptions(cmd: Command, { jetstream }: { jetstream: boolean }): Command {
  cmd.addOption(
    new Option("--nats <url>", "NATS server URL (comma-separated for several)")
      .env("NATS_URL")
      .default(DEFAULT_NATS_URL),
  );
  if (!jetstream) return cmd;
  return cmd
    .addOption(
      new Option("--stream <name>", "JetStream stream holding PBX events")
        .env("HOOKSWITCH_STREAM")
        .default(DEFAULT_STREAM),
    )
    .addOption(
      new Option("--subjects <list>", "subjects of the event stream, comma-separated")
        .env("HOOKSWITCH_SUBJECTS")
        .default(DEFAULT_SUBJECTS),
    )
    .addOption(
      new Option("--consumer <name>", "durable consumer shared by all replicas")
        .env("HOOKSWITCH_CONSUMER")
        .default(DEFAULT_CONSUMER),
    )
    .addOption(
      new Option("--deliver <from>", "where a NEW consumer starts: new events only, or all")
        .choices(["new", "all"])
        .env("HOOKSWITCH_DELIVER")
        .default("new"),
    )
    .addOption(
      new Option(
        "--no-create-stream",
        "use an existing event stream as it is; never create it",
      ).env("HOOKSWITCH_NO_CREATE_STREAM"),
    )
    .addOption(
      new Option(
        "--stream-replicas <n>",
        "replicas of the streams hookswitch creates (3 on a cluster)",
      )
        .env("HOOKSWITCH_STREAM_REPLICAS")
        .default("1"),
    );
}

/** The environment variables that carry NATS credentials (NATS_USER, NATS_PASSWORD, NATS_TOKEN, NATS_CREDS). */
export type NatsEnv = Record<string, string | undefined>;

/** Turns commander's option values (and the credential variables) into `NatsSettings`. */
export function parseNatsSettings(
  opts: Record<string, unknown>,
  env: NatsEnv = process.env,
): NatsSettings {
  const urls = splitList(stringOption(opts.nats, DEFAULT_NATS_URL));
  if (urls.length === 0) throw new UsageError("--nats needs at least one server URL");
  const { servers, auth: fromUrls } = credentialsFromUrls(urls);
  const variables = credentialVariables(env);
  if (fromUrls.kind !== "none" && variables.length > 0) {
    // Neither wins: one of them would be left unused without a word.
    throw new UsageError(
      `the --nats URL (NATS_URL) carries credentials and ${variables.join(" and ")} ` +
        `${variables.length > 1 ? "are" : "is"} set too: give the NATS credentials in one place only`,
    );
  }
  const auth = fromUrls.kind !== "none" ? fromUrls : parseAuth(env);
  const settings: NatsSettings = { servers, auth };
  if (opts.stream !== undefined) settings.jetstream = parseJetStreamNames(opts);
  return settings;
}

function parseJetStreamNames(opts: Record<string, unknown>): JetStreamNames {
  const subjects = splitList(stringOption(opts.subjects, DEFAULT_SUBJECTS));
  if (subjects.length === 0) throw new UsageError("--subjects needs at least one subject");
  const deliver = stringOption(opts.deliver, "new");
  if (deliver !== "new" && deliver !== "all") {
    throw new UsageError(`--deliver must be "new" or "all", not "${deliver}"`);
  }
  return {
    stream: requireName("--stream", stringOption(opts.stream, DEFAULT_STREAM)),
    subjects,
    consumer: requireName("--consumer", stringOption(opts.consumer, DEFAULT_CONSUMER)),
    deliver,
    createStream: opts.createStream !== false,
    replicas: parseReplicas(stringOption(opts.streamReplicas, "1")),
  };
}

function parseAuth(env: NatsEnv): NatsAuth {
  const creds = nonEmpty(env.NATS_CREDS);
  const token = nonEmpty(env.NATS_TOKEN);
  const user = nonEmpty(env.NATS_USER);
  const given = [creds, token, user].filter((v) => v !== undefined).length;
  if (given > 1) {
    throw new UsageError("set only one of NATS_CREDS, NATS_TOKEN or NATS_USER/NATS_PASSWORD");
  }
  if (creds) return { kind: "creds", file: creds };
  if (token) return { kind: "token", token };
  if (user) return { kind: "userPassword", user, password: env.NATS_PASSWORD ?? "" };
  if (nonEmpty(env.NATS_PASSWORD)) throw new UsageError("NATS_PASSWORD is set without NATS_USER");
  return { kind: "none" };
}

/** The names (never the values) of the credential variables set in `env`. */
function credentialVariables(env: NatsEnv): string[] {
  return ["NATS_USER", "NATS_PASSWORD", "NATS_TOKEN", "NATS_CREDS"].filter(
    (name) => nonEmpty(env[name]) !== undefined,
  );
}

/** The credentials a server URL's user-info may carry: user and password, or a token. */
export type UrlAuth = Extract<NatsAuth, { kind: "none" | "userPassword" | "token" }>;

/**
 * Takes the user-info out of server URLs, as the nats CLI and the Go client read it:
 * `user:password@` is a user and password, `token@` (no colon) a token, both
 * percent-decoded. Returns the URLs without it (the NATS client ignores it, and it must
 * reach no log) and the credentials. One connection logs in to every server (and to those
 * a cluster announces) with one set of credentials: URLs that carry user-info must all carry
 * the same; a URL without any uses them too.
 */
export function credentialsFromUrls(urls: string[]): { servers: string[]; auth: UrlAuth } {
  let auth: UrlAuth = { kind: "none" };
  let from: string | undefined;
  const servers = urls.map((url) => {
    const { scheme, userInfo, rest } = splitUserInfo(url);
    if (userInfo === undefined) return url;
    const found = userInfoAuth(url, userInfo);
    if (from !== undefined && !sameAuth(auth, found)) {
      throw new UsageError(
        `the --nats URLs ${from} and ${redactServer(url)} carry different credentials: ` +
          "one connection uses one set, so give every URL the same user-info (or put it on one)",
      );
    }
    auth = found;
    from ??= redactServer(url);
    return `${scheme}${rest}`;
  });
  return { servers, auth };
}

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** `scheme://userinfo@rest`: the user-info runs to the last `@` (an unencoded `@` in a password stays in it). */
function splitUserInfo(url: string): { scheme: string; userInfo?: string; rest: string } {
  const scheme = SCHEME.exec(url)?.[0] ?? "";
  const afterScheme = url.slice(scheme.length);
  const at = afterScheme.lastIndexOf("@");
  if (at < 0) return { scheme, rest: afterScheme };
  return { scheme, userInfo: afterScheme.slice(0, at), rest: afterScheme.slice(at + 1) };
}

function userInfoAuth(url: string, userInfo: string): UrlAuth {
  const shown = redactServer(url);
  if (userInfo === "") {
    throw new UsageError(`the --nats URL ${shown} has an "@" but no user or token before it`);
  }
  const colon = userInfo.indexOf(":");
  if (colon < 0) return { kind: "token", token: percentDecode(shown, userInfo) };
  const user = percentDecode(shown, userInfo.slice(0, colon));
  if (user === "") {
    throw new UsageError(`the --nats URL ${shown} has a password but no user name before it`);
  }
  return { kind: "userPassword", user, password: percentDecode(shown, userInfo.slice(colon + 1)) };
}

function percentDecode(shown: string, text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new UsageError(
      `the user-info of the --nats URL ${shown} is not valid percent-encoding (write % as %25)`,
    );
  }
}

function sameAuth(a: UrlAuth, b: UrlAuth): boolean {
  if (a.kind === "userPassword" && b.kind === "userPassword") {
    return a.user === b.user && a.password === b.password;
  }
  if (a.kind === "token" && b.kind === "token") return a.token === b.token;
  return a.kind === b.kind;
}

function parseReplicas(value: string): number {
  const replicas = Number(value);
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5) {
    throw new UsageError(`--stream-replicas must be a whole number from 1 to 5, not "${value}"`);
  }
  return replicas;
}

/** Stream and consumer names may not hold spaces, dots or wildcards. */
function requireName(flag: string, value: string): string {
  if (!/^[^\s.*>]+$/.test(value)) {
    throw new UsageError(`${flag} "${value}" is not a valid name (no spaces, dots, * or >)`);
  }
  return value;
}

function stringOption(value: unknown, fallback: string): string {
  return typeof value === "string" ? value : fallback;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}

export function splitList(value: string): string[] {
  return value
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "");
}

/**
 * A server URL fit for logs and messages: any user-info is replaced by `****`. It runs to
 * the last `@`, as `credentialsFromUrls` reads it, so no part of a password that holds an
 * unencoded `@` or `/` is shown.
 */
export function redactServer(server: string): string {
  return server.replace(/^([a-z][a-z0-9+.-]*:\/\/)?.*@/is, (_m, scheme: string | undefined) => {
    return `${scheme ?? ""}****@`;
  });
}
