/**
 * What the `dlq` commands share: their NATS connection (bounded in an outage), the
 * deployment's dead-letter queue, and how they select and report dead letters.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { Option } from "commander";
import {
  ABSENT_DEAD_LETTER_STORE,
  createDeadLetterStore,
  DEFAULT_MAX_PAYLOAD,
  type DeadLetterStore,
} from "../../delivery/dead-letters.js";
import { type ListedDeadLetter } from "../../delivery/records.js";
import { DEAD_LETTER_STREAM } from "../../nats/layout.js";
import { connectNats } from "../../nats/connection.js";
import { withinOutageLimit } from "../../nats/outage-limit.js";
import { jetstreamManagerNow } from "../../nats/jetstream-wait.js";
import { streamExists } from "../../nats/streams.js";
import { redactServer } from "../../nats/url-credentials.js";
import { consumerOf, parseNatsSettings } from "../options/nats-options.js";
import { type OptionNamer } from "../options/env-flags.js";
import { type Selection } from "./selection.js";

export type Opts = Record<string, unknown>;

export const DEPLOYMENT_HELP =
  "the daemons' --consumer: only that deployment's dead letters (and older ones of no deployment)";

/** Selectors read no environment variable: a stray variable must never widen a purge. */
export function integrationOption(description: string): Option {
  return new Option("--integration <name>", description);
}

/** The selected dead letters, read a few at a time. */
export function selected(
  store: DeadLetterStore,
  selection: Selection,
): AsyncIterable<ListedDeadLetter> {
  if (selection.kind === "ids") return store.readIds(selection.ids);
  return store.read(selection.kind === "all" ? {} : { integration: selection.integration });
}

export function reportMissing(ids: number[]): void {
  for (const id of ids) process.stderr.write(`dead letter ${id} not found\n`);
}

/** The queue, or an empty one (and a note) where no daemon has created it: `dlq` creates no stream. */
async function deadLetterStoreOf(
  js: JetStreamClient,
  jsm: JetStreamManager,
  nc: NatsConnection,
  consumer: string,
): Promise<DeadLetterStore> {
  if (await streamExists(jsm, DEAD_LETTER_STREAM)) {
    return createDeadLetterStore(js, jsm, {
      consumer,
      maxPayload: () => nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD,
      serverVersion: nc.info?.version,
    });
  }
  process.stderr.write(
    `note: stream ${DEAD_LETTER_STREAM} does not exist at ${redactServer(nc.getServer())}: no ` +
      "hookswitch daemon has run against this NATS (account) yet, so it holds no dead letters " +
      "(check NATS_URL if one has)\n",
  );
  return ABSENT_DEAD_LETTER_STORE;
}

export async function withDeadLetters(
  opts: Opts,
  named: OptionNamer,
  work: (ctx: {
    store: DeadLetterStore;
    js: JetStreamClient;
    jsm: JetStreamManager;
    nc: NatsConnection;
  }) => Promise<void>,
): Promise<void> {
  const settings = parseNatsSettings(opts, process.env, named);
  const consumer = consumerOf(opts, named);
  const nc = await connectNats(settings, { name: "hookswitch-dlq", waitOnFirstConnect: false });
  try {
    await withinOutageLimit(
      nc,
      async () => {
        const jsm = await jetstreamManagerNow(nc, settings.inboxPrefix);
        const js = jetstream(nc);
        await work({ store: await deadLetterStoreOf(js, jsm, nc, consumer), js, jsm, nc });
      },
      (note) => process.stderr.write(note),
    );
  } finally {
    await nc.close();
  }
}
