/**
 * The NATS flags shared by `run`, `emit` and `dlq` (the names also by `permissions`), and
 * their parsing into typed settings.
 * Credentials come from the environment: the credential variables, or the user-info of
 * the server URLs in NATS_URL (as the nats CLI and the Go client take them). `--nats` takes
 * user-info too, but a password on the command line shows in process listings and shell
 * history. TLS files (NATS_CA, NATS_CERT, NATS_KEY) come from the environment as well, under
 * the names the nats CLI reads.
 */
import { Option, type Command } from "commander";
import { wholeNumber } from "../../config/text.js";
import { parseDuration } from "../../config/durations.js";
import { countOf } from "./counts.js";
import { anyCaseChoices } from "./any-case.js";
import { UsageError } from "../../errors.js";
import { DELIVERY_CONSUMER_DEFAULTS } from "../../nats/durable-consumers.js";
import { checkServerUrls } from "../../nats/server-urls.js";
import {
  DEFAULT_CONSUMER,
  DEFAULT_NATS_URL,
  DEFAULT_STREAM,
  DEFAULT_SUBJECTS,
  type JetStreamNames,
  type NatsSettings,
} from "../../nats/settings.js";
import { credentialsFromUrls } from "../../nats/url-credentials.js";
import { subjectProblem } from "../../nats/subjects.js";
import { asFlag, type OptionNamer } from "./env-flags.js";
import {
  credentialVariables,
  nonEmpty,
  parseAuth,
  parseTlsFiles,
  type NatsEnv,
} from "./nats-credentials.js";

/** The variables no flag shows: help lists them, as credentials have no flags of their own. */
const NATS_ENV_HELP = `
NATS credentials and TLS come from the environment:
  NATS_USER and NATS_PASSWORD, NATS_TOKEN, NATS_CREDS (a .creds file), NATS_NKEY (a file
  holding a user's NKey seed), or the user-info of NATS_URL: at most one of them;
  NATS_CA (the CAs to trust), NATS_CERT and NATS_KEY (a client certificate): PEM files.`;

/** Adds `--nats` and, with `jetstream`, the stream and consumer flags to `cmd`. */
export function addNatsOptions(cmd: Command, { jetstream }: { jetstream: boolean }): Command {
  cmd.addOption(
    new Option("--nats <url>", "NATS server URL (comma-separated for several)")
      .env("NATS_URL")
      .default(DEFAULT_NATS_URL),
  );
  cmd.addOption(inboxPrefixOption());
  cmd.addHelpText("after", NATS_ENV_HELP);
  if (!jetstream) return cmd;
  return cmd
    .addOption(streamOption())
    .addOption(subjectsOption())
    .addOption(consumerOption("durable consumer shared by all replicas"))
    .addOption(
      anyCaseChoices(
        new Option("--deliver <from>", "where a NEW consumer starts: new events only, or all"),
        ["new", "all"],
      )
        .env("HOOKSWITCH_DELIVER")
        .default("new"),
    )
    .addOption(noCreateStreamOption())
    .addOption(
      new Option(
        "--stream-replicas <n>",
        "replicas of the streams hookswitch creates (3 on a cluster)",
      )
        .env("HOOKSWITCH_STREAM_REPLICAS")
        .default("1"),
    )
    .addOption(
      new Option(
        "--stream-max-age <duration>",
        "max age of the event stream when hookswitch creates it, e.g. 7d (default: no limit)",
      ).env("HOOKSWITCH_STREAM_MAX_AGE"),
    )
    .addOption(
      new Option(
        "--max-waiting-retries <n>",
        "most retries and replays waiting at once; past it, none is read until some are due",
      )
        .env("HOOKSWITCH_MAX_WAITING_RETRIES")
        .default(String(DELIVERY_CONSUMER_DEFAULTS.maxAckPending)),
    );
}

/** The flags that name the event stream and its subjects, shared with `permissions`. */
export const streamOption = () =>
  new Option("--stream <name>", "JetStream stream holding PBX events")
    .env("HOOKSWITCH_STREAM")
    .default(DEFAULT_STREAM);

export const subjectsOption = () =>
  new Option("--subjects <list>", "subjects of the event stream, comma-separated")
    .env("HOOKSWITCH_SUBJECTS")
    .default(DEFAULT_SUBJECTS);

export const noCreateStreamOption = (
  description = "use an existing event stream as it is; never create it",
) => new Option("--no-create-stream", description).env("HOOKSWITCH_NO_CREATE_STREAM");

export const inboxPrefixOption = (
  description = "what the subjects of NATS replies start with, for permissions narrower than _INBOX.>",
) => new Option("--inbox-prefix <prefix>", description).env("NATS_INBOX_PREFIX");

/**
 * `--consumer`, the deployment's name: `run`'s durable consumer, and whose deliveries and dead
 * letters `dlq` works on. Both read it from HOOKSWITCH_CONSUMER, so that one setting names
 * the deployment for both.
 */
export function consumerOption(description: string): Option {
  return new Option("--consumer <name>", description)
    .env("HOOKSWITCH_CONSUMER")
    .default(DEFAULT_CONSUMER);
}

/** The `--consumer` given (or its default), checked as a name. */
export function consumerOf(opts: Record<string, unknown>, named: OptionNamer = asFlag): string {
  return requireName(named("--consumer"), stringOption(opts.consumer, DEFAULT_CONSUMER));
}

export type { NatsEnv } from "./nats-credentials.js";

/** Turns commander's option values (and the credential variables) into `NatsSettings`. */
export function parseNatsSettings(
  opts: Record<string, unknown>,
  env: NatsEnv = process.env,
  named: OptionNamer = asFlag,
): NatsSettings {
  const urls = splitList(stringOption(opts.nats, DEFAULT_NATS_URL));
  if (urls.length === 0) throw new UsageError(`${named("--nats")} needs at least one server URL`);
  const { servers, auth: fromUrls } = credentialsFromUrls(urls);
  checkServerUrls(servers);
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
  const tls = parseTlsFiles(env);
  if (tls) settings.tls = tls;
  const inboxPrefix = inboxPrefixOf(opts, named);
  if (inboxPrefix !== undefined) settings.inboxPrefix = inboxPrefix;
  if (opts.stream !== undefined) settings.jetstream = parseJetStreamNames(opts, named);
  return settings;
}

/** `--inbox-prefix` checked, or undefined when not given (or given empty, as a variable may be). */
export function inboxPrefixOf(
  opts: Record<string, unknown>,
  named: OptionNamer = asFlag,
): string | undefined {
  const given = typeof opts.inboxPrefix === "string" ? nonEmpty(opts.inboxPrefix) : undefined;
  return given === undefined ? undefined : parseInboxPrefix(given, named("--inbox-prefix"));
}

/** `--subjects` as a list of at least one. */
export function subjectsOf(opts: Record<string, unknown>, named: OptionNamer = asFlag): string[] {
  const subjects = splitList(stringOption(opts.subjects, DEFAULT_SUBJECTS));
  if (subjects.length === 0) {
    throw new UsageError(`${named("--subjects")} needs at least one subject`);
  }
  for (const subject of subjects) {
    // NATS would refuse it at every set-up, and a daemon never ready looks like an outage.
    const problem = subjectProblem(subject);
    if (problem) {
      const shown = JSON.stringify(subject);
      throw new UsageError(`${named("--subjects")}: ${shown} is not a NATS subject: ${problem}`);
    }
  }
  return subjects;
}

/** `--stream` checked as a name. */
export const streamOf = (opts: Record<string, unknown>, named: OptionNamer = asFlag) =>
  requireName(named("--stream"), stringOption(opts.stream, DEFAULT_STREAM));

function parseJetStreamNames(opts: Record<string, unknown>, named: OptionNamer): JetStreamNames {
  const subjects = subjectsOf(opts, named);
  const deliver = stringOption(opts.deliver, "new");
  if (deliver !== "new" && deliver !== "all") {
    throw new UsageError(`${named("--deliver")} must be "new" or "all", not "${deliver}"`);
  }
  return {
    stream: streamOf(opts, named),
    subjects,
    consumer: consumerOf(opts, named),
    deliver,
    createStream: opts.createStream !== false,
    replicas: parseReplicas(stringOption(opts.streamReplicas, "1"), named("--stream-replicas")),
    ...streamMaxAgeOf(opts.streamMaxAge, named("--stream-max-age")),
    maxWaitingRetries: parseMaxWaiting(
      stringOption(opts.maxWaitingRetries, String(DELIVERY_CONSUMER_DEFAULTS.maxAckPending)),
      named("--max-waiting-retries"),
    ),
  };
}

function parseReplicas(value: string, option: string): number {
  const replicas = wholeNumber(value) ?? 0;
  if (replicas < 1 || replicas > 5) {
    throw new UsageError(`${option} must be a whole number from 1 to 5, not "${value}"`);
  }
  return replicas;
}

/**
 * At least a minute: a stream that drops events younger than an ordinary restart loses them
 * unread. Days are allowed here (`7d`), as stream ages are told in days.
 */
function streamMaxAgeOf(value: unknown, option: string): { streamMaxAgeMs?: number } {
  if (typeof value !== "string") return {};
  const text = value.trim();
  const days = /^(\d+)d$/.exec(text);
  const ms = days ? Number(days[1]) * 86_400_000 : parseDuration(text);
  if (ms === undefined || ms < 60_000 || !Number.isSafeInteger(ms * 1_000_000)) {
    throw new UsageError(
      `${option} "${text}" is not a max age: give a duration of a minute or more, like 7d, 48h or 90m`,
    );
  }
  return { streamMaxAgeMs: ms };
}

/** NATS keeps about 250 bytes of memory for each; a handful is no use to anyone. */
function parseMaxWaiting(value: string, option: string): number {
  return countOf(option, value, 100);
}

/**
 * A subject of one or more tokens without wildcards: the client puts `.<id>` after it and
 * subscribes to `<prefix>.<id>.*`, which the user's permissions must allow (`<prefix>.>`).
 */
function parseInboxPrefix(value: string, option: string): string {
  const prefix = value.trim();
  if (!/^[^\s.*>]+(\.[^\s.*>]+)*$/.test(prefix)) {
    throw new UsageError(
      `${option} "${value}" is not a subject prefix: give tokens separated by dots, ` +
        `without spaces, * or > (for example _INBOX_hookswitch)`,
    );
  }
  return prefix;
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

function splitList(value: string): string[] {
  return value
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "");
}
