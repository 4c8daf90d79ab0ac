/**
 * `hookswitch emit TYPE`: publishes sample PBX events to JetStream, for trying an
 * integration end to end or for load. Prints each event id once the server has it.
 */
import { randomUUID } from "node:crypto";
import { Command, Option } from "commander";
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { countOf } from "./options/counts.js";
import { EVENT_TYPES } from "../config/types.js";
import { NatsConnectionLostError, NatsSetupError, UsageError, coerceError } from "../errors.js";
import {
  SAMPLE_ACCOUNT,
  SAMPLE_SERVICE_TYPE,
  SAMPLE_SERVICE_UUID,
  buildSampleEvent,
  isEventType,
  subjectOfUnknownEvent,
  withFreshId,
} from "../events/sample.js";
import { parseBooleanFlag, parseCallList } from "./emit/flag-values.js";
import { checkEvent, parseEvent } from "../events/parse.js";
import type { PbxEvent } from "../events/types.js";
import { connectNats } from "../nats/connection.js";
import { withinOutageLimit } from "../nats/outage-limit.js";
import { jetstreamManagerNow } from "../nats/jetstream-wait.js";
import { addNatsOptions, parseNatsSettings } from "./options/nats-options.js";
import { largeEventWarning, readEventInput } from "./options/event-input.js";
import { optionNamer, type OptionNamer } from "./options/env-flags.js";
import { printable, printableStart } from "../output/printable.js";
import { publishPlan, storedTally, type EmitPlan, type Outgoing } from "./emit/publish-plan.js";

interface EmitOptions {
  account: string;
  service: string;
  serviceType: string;
  serviceName?: string;
  serviceFriendlyName?: string;
  extension?: string;
  name?: string;
  outboundNumber?: string;
  voicemail?: string;
  calls?: string;
  file?: string;
  count: string;
  rate?: string;
}

/** The `emit` command; each of its flags can also be set by a `HOOKSWITCH_EMIT_*` variable. */
export function emitCommand(): Command {
  const cmd = new Command("emit")
    .description("publish sample PBX user events to NATS JetStream; prints each event id")
    .argument("[TYPE]", `event type: ${EVENT_TYPES.join(" | ")} (from the file with --file)`)
    .addOption(flag("--account <name>", "account", "ACCOUNT").default(SAMPLE_ACCOUNT))
    .addOption(flag("--service <uuid>", "service UUID", "SERVICE").default(SAMPLE_SERVICE_UUID))
    .addOption(
      flag("--service-type <type>", "service type", "SERVICE_TYPE").default(SAMPLE_SERVICE_TYPE),
    )
    .addOption(flag("--service-name <name>", "service's technical name", "SERVICE_NAME"))
    .addOption(
      flag("--service-friendly-name <name>", "service's display name", "SERVICE_FRIENDLY_NAME"),
    )
    .addOption(flag("--extension <number>", "user's extension number", "EXTENSION"))
    .addOption(flag("--name <name>", "user's name", "NAME"))
    .addOption(flag("--outbound-number <number>", "user's outbound number", "OUTBOUND_NUMBER"))
    .addOption(flag("--voicemail <bool>", "user has voicemail: true | false", "VOICEMAIL"))
    .addOption(flag("--calls <list>", "enabled call types, comma-separated", "CALLS"))
    .addOption(
      flag(
        "--file <path>",
        "publish this event JSON as it is, once checked (- for stdin); no event flags beside it",
        "FILE",
      ),
    )
    .addOption(flag("--count <n>", "how many events to publish", "COUNT").default("1"))
    .addOption(
      flag("--rate <per-second>", "events per second (default: as fast as acked)", "RATE"),
    );
  addNatsOptions(cmd, { jetstream: false });
  return cmd.action(
    async (type: string | undefined, opts: EmitOptions & Record<string, unknown>) => {
      // Flags win: TYPE on the command line beats a file named only by the environment.
      if (type !== undefined && cmd.getOptionValueSource("file") === "env") delete opts.file;
      const named = optionNamer(cmd);
      if (opts.file !== undefined) refuseEventFlagsBesideFile(cmd, named("--file"));
      const plan = await planEvents(type, opts, named);
      await publishEvents(parseNatsSettings(opts, process.env, named), plan);
    },
  );
}

/** The options that build a sample event; a file given with --file is published as it is. */
const EVENT_FIELD_OPTIONS = [
  "account",
  "service",
  "serviceType",
  "serviceName",
  "serviceFriendlyName",
  "extension",
  "name",
  "outboundNumber",
  "voicemail",
  "calls",
] as const;

/** A flag given beside --file would be dropped without a word; variables are left to TYPE. */
function refuseEventFlagsBesideFile(cmd: Command, fileFlag: string): void {
  const given = cmd.options.filter(
    (option) =>
      (EVENT_FIELD_OPTIONS as readonly string[]).includes(option.attributeName()) &&
      cmd.getOptionValueSource(option.attributeName()) === "cli",
  );
  if (given.length === 0) return;
  const flags = given.map((option) => option.long ?? option.flags).join(", ");
  throw new UsageError(
    `${fileFlag} publishes the file's event as it is, so ${flags} would change nothing: ` +
      "edit the file, or give TYPE instead to build the event from flags",
  );
}

function flag(flags: string, description: string, envSuffix: string): Option {
  return new Option(flags, description).env(`HOOKSWITCH_EMIT_${envSuffix}`);
}

async function planEvents(
  type: string | undefined,
  opts: EmitOptions,
  named: OptionNamer,
): Promise<EmitPlan> {
  const count = countOf(named("--count"), opts.count);
  const rate = opts.rate === undefined ? undefined : positiveNumber(named("--rate"), opts.rate);
  if (opts.file !== undefined) {
    if (type !== undefined)
      throw new UsageError("give TYPE or --file, not both: the file has its type");
    return { count, rate, make: await fileEventMaker(opts.file, count) };
  }
  if (type === undefined)
    throw new UsageError(`emit needs TYPE (${EVENT_TYPES.join(", ")}) or --file`);
  if (!isEventType(type))
    throw new UsageError(`unknown event type "${type}": use ${EVENT_TYPES.join(", ")}`);
  const fields = {
    type,
    account: opts.account,
    serviceUuid: opts.service,
    serviceType: opts.serviceType,
    serviceName: opts.serviceName,
    serviceFriendlyName: opts.serviceFriendlyName,
    extension: opts.extension,
    name: opts.name,
    outboundNumber: opts.outboundNumber,
    hasVoicemail:
      opts.voicemail === undefined
        ? undefined
        : voicemailFlag(named("--voicemail"), opts.voicemail),
    enabledCalls: opts.calls === undefined ? undefined : parseCallList(opts.calls),
  };
  const found = subjectOfUnknownEvent(buildSampleEvent(fields, { id: "", time: "" }));
  if ("problem" in found) {
    throw new UsageError(`${found.problem}: check --account, --service and --service-type`);
  }
  // An event the daemon would dead-letter is refused here, where the options can be fixed.
  const sample = checkEvent(
    buildSampleEvent(fields, { id: randomUUID(), time: new Date().toISOString() }),
  );
  if (!sample.ok) {
    throw new UsageError(`the event would not be valid (${sample.reason}): check the options`);
  }
  const subject = found.subject;
  return {
    count,
    rate,
    make() {
      const event = buildSampleEvent(fields, { id: randomUUID(), time: new Date().toISOString() });
      return { id: event.id, subject, body: JSON.stringify(event) };
    },
  };
}

async function fileEventMaker(path: string, count: number): Promise<(index: number) => Outgoing> {
  const { event, bytes } = await readEventFile(path);
  const found = subjectOfUnknownEvent(event);
  if ("problem" in found) throw new UsageError(`${path}: ${found.problem}`);
  // Its bytes as they are (a BOM, key order, numbers as written): what a producer sends.
  if (count === 1) return () => ({ id: event.id, subject: found.subject, body: bytes });
  return () => {
    const id = randomUUID();
    return { id, subject: found.subject, body: JSON.stringify(withFreshId(event, id)) };
  };
}

/**
 * The file's event, read as the daemon reads a message: one it would dead-letter (not UTF-8,
 * nested too deep, too large, not a valid event) is refused here, where it can be fixed.
 */
async function readEventFile(path: string): Promise<{ event: PbxEvent; bytes: Buffer }> {
  let bytes: Buffer;
  try {
    bytes = await readEventInput(path);
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${coerceError(err).message}`, { cause: err });
  }
  const parsed = parseEvent(bytes);
  if (!parsed.ok) {
    throw new UsageError(
      printable(
        `${path} is not an event hookswitch accepts (${parsed.reason}): it would be dead-lettered`,
      ),
    );
  }
  return { event: parsed.event, bytes };
}

async function publishEvents(settings: ReturnType<typeof parseNatsSettings>, plan: EmitPlan) {
  const nc = await connectNats(settings, { name: "hookswitch-emit", waitOnFirstConnect: false });
  try {
    const first = plan.make(0);
    const large = largeEventWarning(Buffer.byteLength(first.body));
    if (large) process.stderr.write(`hookswitch: ${large}\n`);
    const progress = { stored: 0 };
    await withinOutageLimit(
      nc,
      async () => {
        await requireStreamFor(nc, first.subject, settings.inboxPrefix);
        await publishPlan(jetstream(nc), plan, first, progress);
      },
      (note) => process.stderr.write(note),
    ).catch((err: unknown) => {
      if (!(err instanceof NatsConnectionLostError)) throw err;
      throw new NatsSetupError(
        `the NATS connection was lost and not back within ${err.waitedMs / 1000} s` +
          storedTally(progress.stored, plan.count),
        { cause: err },
      );
    });
  } finally {
    await nc.close();
  }
}

async function requireStreamFor(nc: NatsConnection, subject: string, inboxPrefix?: string) {
  const jsm = await jetstreamManagerNow(nc, inboxPrefix);
  try {
    await jsm.streams.find(subject);
  } catch (err) {
    throw new NatsSetupError(
      `no stream listens on ${printableStart(subject)} — start \`hookswitch run\` once or create the stream`,
      { cause: err },
    );
  }
}

function voicemailFlag(option: string, value: string): boolean {
  const parsed = parseBooleanFlag(value);
  if (parsed === undefined) throw new UsageError(`${option} must be true or false, not "${value}"`);
  return parsed;
}

function positiveNumber(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`${name} must be a number > 0 (events a second), not "${value}"`);
  return n;
}
