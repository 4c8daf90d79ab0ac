/**
 * `hookswitch run`'s own flags, each also read from an environment variable, and the
 * daemon's settings made from them (usage errors name the flag or variable given).
 */
import { Option, type Command } from "commander";
import { parseDuration } from "../../config/durations.js";
import { parseSize } from "../../config/sizes.js";
import { countOf } from "./counts.js";
import { anyCaseChoices } from "./any-case.js";
import type { DaemonSettings } from "../../daemon/daemon.js";
import { parseCidrList } from "../../delivery/egress.js";
import { DEFAULT_MAX_EVENT_BYTES } from "../../delivery/oversized.js";
import { UsageError } from "../../errors.js";
import { MAX_EVENT_BYTES } from "../../events/parse.js";
import { parseHttpAddr } from "../../http/server.js";
import type { LogFormat } from "../../logger.js";
import type { OptionNamer } from "./env-flags.js";
import { parseNatsSettings } from "./nats-options.js";
import { secretPolicyOf, type SecretPolicyFlags } from "./secret-options.js";

export interface RunFlags extends SecretPolicyFlags {
  dir: string;
  httpAddr: string;
  logLevel: string;
  logFormat: LogFormat;
  strict?: boolean;
  denyCidr?: string;
  allowCidr?: string;
  maxInFlight: string;
  gracePeriod: string;
  ackWait: string;
  resyncInterval: string;
  maxEventSize: string;
  requireSubjectMatch?: boolean;
  [nats: string]: unknown;
}

interface RunOption {
  flags: string;
  help: string;
  env: string;
  byDefault?: string;
  /** Taken in any letter case (anyCaseChoices). */
  choices?: readonly string[];
}

/** `run`'s own flags, in the order `--help` lists them. */
const RUN_OPTIONS: readonly RunOption[] = [
  {
    flags: "--dir <path>",
    help: "integrations folder",
    env: "HOOKSWITCH_DIR",
    byDefault: "./integrations.d",
  },
  {
    flags: "--http-addr <host:port>",
    help: "address of /healthz, /readyz, /metrics and the status page",
    env: "HOOKSWITCH_HTTP_ADDR",
    byDefault: "127.0.0.1:9464",
  },
  {
    flags: "--log-level <level>",
    help: "log level (any letter case)",
    env: "LOG_LEVEL",
    byDefault: "info",
    choices: ["fatal", "error", "warn", "info", "debug", "trace", "silent"],
  },
  {
    flags: "--log-format <format>",
    help: "log format (any letter case)",
    env: "HOOKSWITCH_LOG_FORMAT",
    byDefault: "json",
    choices: ["json", "pretty"],
  },
  {
    flags: "--strict",
    help: "exit 1 when any integration file is invalid",
    env: "HOOKSWITCH_STRICT",
  },
  {
    flags: "--deny-cidr <list>",
    help: "also refuse these networks (comma-separated CIDRs)",
    env: "HOOKSWITCH_DENY_CIDRS",
  },
  {
    flags: "--allow-cidr <list>",
    help: "allow these networks even inside a denied range",
    env: "HOOKSWITCH_ALLOW_CIDRS",
  },
  {
    flags: "--max-in-flight <n>",
    help: "global cap on concurrent webhook requests",
    env: "HOOKSWITCH_MAX_IN_FLIGHT",
    byDefault: "256",
  },
  {
    flags: "--grace-period <duration>",
    help: "on SIGTERM or SIGINT, how long in-flight deliveries may finish",
    env: "HOOKSWITCH_GRACE_PERIOD",
    byDefault: "20s",
  },
  {
    flags: "--ack-wait <duration>",
    help: "how soon a crashed replica's unfinished work is redelivered",
    env: "HOOKSWITCH_ACK_WAIT",
    byDefault: "30s",
  },
  {
    flags: "--resync-interval <duration>",
    help: "periodic full rescan of the integrations folder",
    env: "HOOKSWITCH_RESYNC_INTERVAL",
    byDefault: "60s",
  },
  {
    flags: "--max-event-size <size>",
    help: "larger events are dead-lettered, not delivered (bytes, KiB or MiB)",
    env: "HOOKSWITCH_MAX_EVENT_SIZE",
    byDefault: `${DEFAULT_MAX_EVENT_BYTES / 1024}KiB`,
  },
  {
    flags: "--require-subject-match",
    help:
      "dead-letter an event whose subject does not name its account, service type, service " +
      "and type: then per-account publish permissions on NATS keep tenants apart",
    env: "HOOKSWITCH_REQUIRE_SUBJECT_MATCH",
  },
];

export function addRunOptions(command: Command): Command {
  for (const spec of RUN_OPTIONS) command.addOption(optionOf(spec));
  return command;
}

function optionOf({ flags, help, env, byDefault, choices }: RunOption): Option {
  const plain = new Option(flags, help);
  const option = choices ? anyCaseChoices(plain, choices) : plain;
  option.env(env);
  if (byDefault !== undefined) option.default(byDefault);
  return option;
}

function duration(flag: string, text: string, minMs = 0): number {
  const ms = parseDuration(text);
  if (ms === undefined)
    throw new UsageError(`${flag} "${text}" is not a duration like 250ms, 10s, 5m or 1h`);
  if (ms < minMs) throw new UsageError(`${flag} must be at least ${minMs / 1000}s, not "${text}"`);
  return ms;
}

/** At least 1 KiB; at most what a record holding the event can carry in NATS's 1 MiB. */
function eventSize(flag: string, text: string): number {
  const bytes = parseSize(text);
  if (bytes === undefined || bytes < 1024 || bytes > MAX_EVENT_BYTES) {
    throw new UsageError(
      `${flag} must be a size from 1KiB to ${MAX_EVENT_BYTES / 1024}KiB, like 64KiB, not "${text}"`,
    );
  }
  return bytes;
}

function checkedHttpAddr(addr: string, named: OptionNamer): string {
  if (parseHttpAddr(addr)) return addr;
  throw new UsageError(
    `invalid ${named("--http-addr")} "${addr}": expected host:port, e.g. 0.0.0.0:9464`,
  );
}

function cidrs(flag: string, text: string | undefined) {
  if (!text) return [];
  const { cidrs: list, problems } = parseCidrList(text);
  if (problems.length > 0) throw new UsageError(`${flag}: ${problems.join("; ")}`);
  return list;
}

export function toSettings(flags: RunFlags, named: OptionNamer): DaemonSettings {
  const nats = parseNatsSettings(flags, process.env, named);
  // A programming error, not the user's: no usage exit code.
  if (!nats.jetstream) throw new Error("internal: run needs the JetStream flags");
  const maxInFlight = countOf(named("--max-in-flight"), flags.maxInFlight);
  return {
    dir: flags.dir,
    strict: flags.strict === true,
    httpAddr: checkedHttpAddr(flags.httpAddr, named),
    nats: { ...nats, jetstream: nats.jetstream },
    egress: {
      deny: cidrs(named("--deny-cidr"), flags.denyCidr),
      allow: cidrs(named("--allow-cidr"), flags.allowCidr),
    },
    maxInFlight,
    graceMs: duration(named("--grace-period"), flags.gracePeriod),
    // 0 would not mean "off": NATS would take its own 30 s, and the folder be rescanned
    // without pause.
    ackWaitMs: duration(named("--ack-wait"), flags.ackWait, 1_000),
    resyncIntervalMs: duration(named("--resync-interval"), flags.resyncInterval, 1_000),
    maxEventBytes: eventSize(named("--max-event-size"), flags.maxEventSize),
    requireSubjectMatch: flags.requireSubjectMatch === true,
    secretPolicy: secretPolicyOf(flags),
  };
}
