/**
 * `hookswitch dlq` with two deployments on one NATS (`--consumer hookswitch`, the default, and
 * `--consumer gitsync`), each with an integration named crm: each command works on its own
 * deployment's dead letters and on those stored before they were namespaced, never on the
 * other's, which would replay the other's event through this one's crm (its URL, its keys).
 */
import { jetstream, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { beforeAll, describe, expect, it } from "vitest";
import { createDeadLetterStore, type DeadLetterStore } from "../../src/delivery/dead-letters.js";
import { type DeliveryRecord } from "../../src/delivery/records.js";
import {
  DEAD_LETTER_STREAM,
  DELIVERY_STREAM,
  deadLetterSubject,
  deliverySubject,
  oldDeadLetterSubject,
} from "../../src/nats/layout.js";
import {
  DELIVERY_CONSUMER_DEFAULTS,
  deliveryConsumerConfig,
} from "../../src/nats/durable-consumers.js";
import type { NatsServer } from "../support/nats-server.js";
import { runCli } from "../support/cli.js";
import { deadLetter, listAll, useDeadLetterQueue } from "../support/dead-letters.js";

let server: NatsServer;
let nc: NatsConnection;
let jsm: JetStreamManager;
let ours: DeadLetterStore;
let theirs: DeadLetterStore;

useDeadLetterQueue("dlq-deployments-cli-test", (queue) => {
  ({ server, nc, jsm, store: ours } = queue);
  theirs = createDeadLetterStore(jetstream(nc), jsm, { consumer: "gitsync" });
});

beforeAll(async () => {
  // The other deployment's daemons have run too: replays are for them.
  const config = { consumer: "gitsync", ...DELIVERY_CONSUMER_DEFAULTS, ackWaitMs: 30_000 };
  await jsm.consumers.add(DELIVERY_STREAM, deliveryConsumerConfig(config));
});

/** A crm dead letter of each deployment, one of the old layout, and one billing of ours. */
async function fill() {
  const js = jetstream(nc);
  return {
    ourCrm: await ours.add(deadLetter("crm")),
    theirCrm: await theirs.add(deadLetter("crm")),
    oldCrm: (await js.publish(oldDeadLetterSubject("crm"), JSON.stringify(deadLetter("crm")))).seq,
    ourBilling: await ours.add(deadLetter("billing")),
  };
}

const dlq = (args: string[], env: Record<string, string> = {}) =>
  runCli(["dlq", ...args], { env: { NATS_URL: server.url, ...env } });

async function listedIds(args: string[] = [], env: Record<string, string> = {}) {
  const listed = await dlq(["list", "--json", ...args], env);
  expect(listed.code).toBe(0);
  return (JSON.parse(listed.stdout) as { id: number }[]).map((r) => r.id);
}

/** Each delivery `dlq replay` published: its subject and webhook-id. */
async function published(): Promise<[string, string][]> {
  const { first_seq, last_seq, messages } = (await jsm.streams.info(DELIVERY_STREAM)).state;
  const found: [string, string][] = [];
  for (let seq = first_seq; messages > 0 && seq <= last_seq; seq++) {
    const stored = await jsm.streams.getMessage(DELIVERY_STREAM, { seq }).catch(() => null);
    if (stored) found.push([stored.subject, stored.json<DeliveryRecord>().webhookId]);
  }
  return found;
}

const remaining = async () => {
  const own = (await listAll(ours)).map((r) => r.id);
  const other = (await listAll(theirs)).map((r) => r.id);
  return [...new Set([...own, ...other])].sort((a, b) => a - b);
};

describe("hookswitch dlq with two deployments on one NATS", () => {
  it("lists each deployment's dead letters and the old layout's, by --consumer or HOOKSWITCH_CONSUMER", async () => {
    const r = await fill();
    expect(await listedIds()).toEqual([r.ourCrm, r.oldCrm, r.ourBilling]);
    expect(await listedIds(["--consumer", "gitsync"])).toEqual([r.theirCrm, r.oldCrm]);
    expect(await listedIds([], { HOOKSWITCH_CONSUMER: "gitsync" })).toEqual([r.theirCrm, r.oldCrm]);
    expect(await listedIds(["--integration", "crm"])).toEqual([r.ourCrm, r.oldCrm]);
  });

  it("refuses to replay the other deployment's dead letter by id, naming its --consumer", async () => {
    const r = await fill();
    const result = await dlq(["replay", String(r.theirCrm), String(r.ourCrm)]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `dead letter ${r.theirCrm} belongs to the deployment with --consumer gitsync, not to ` +
        "--consumer hookswitch: not replayed (give --consumer gitsync to replay it through that deployment)",
    );
    expect(result.stdout).toBe("replayed 1 dead letter; 1 could not be and stay (said above)\n");
    expect((await published()).map(([subject]) => subject)).toEqual([
      deliverySubject("hookswitch", "crm"),
    ]);
    expect(await remaining()).toEqual([r.theirCrm, r.oldCrm, r.ourBilling]);
  });

  it("replays --all of its own and the old layout's through its own deliveries", async () => {
    const r = await fill();
    const result = await dlq(["replay", "--all", "--consumer", "gitsync"]);
    expect(result).toMatchObject({ code: 0, stdout: "replayed 2 dead letters\n" });
    expect((await published()).map(([subject]) => subject)).toEqual([
      deliverySubject("gitsync", "crm"),
      deliverySubject("gitsync", "crm"),
    ]);
    expect(await remaining()).toEqual([r.ourCrm, r.ourBilling]);
  });

  it("says so of a --consumer no daemon has run with when --all finds nothing, rather than of an empty queue", async () => {
    const typo = await dlq(["replay", "--all", "--consumer", "gitsnyc"]);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toMatch(/no daemon has run with --consumer gitsnyc/);
    const empty = await dlq(["replay", "--all", "--consumer", "gitsync"]);
    expect(empty).toMatchObject({ code: 0, stdout: "replayed 0 dead letters\n" });
  });

  it("replays an old-layout dead letter by id from either deployment", async () => {
    const r = await fill();
    const result = await dlq(["replay", String(r.oldCrm)], { HOOKSWITCH_CONSUMER: "gitsync" });
    expect(result).toMatchObject({ code: 0, stdout: "replayed 1 dead letter\n" });
    expect((await published()).map(([subject]) => subject)).toEqual([
      deliverySubject("gitsync", "crm"),
    ]);
    expect(await remaining()).toEqual([r.ourCrm, r.theirCrm, r.ourBilling]);
  });

  it("replays --integration of its own and the old layout's only", async () => {
    const r = await fill();
    const result = await dlq(["replay", "--integration", "crm"]);
    expect(result).toMatchObject({ code: 0, stdout: "replayed 2 dead letters\n" });
    expect(await remaining()).toEqual([r.theirCrm, r.ourBilling]);
  });

  it.each(["purge", "replay"])(
    "notes an --integration with no dead letters of its own to %s, as the name or --consumer may be mistyped",
    async (verb) => {
      await theirs.add(deadLetter("ticketing"));
      const before = await remaining();
      const result = await dlq([verb, "--integration", "ticketing"]);
      expect(result).toMatchObject({
        code: 0,
        stdout: `${verb === "purge" ? "removed" : "replayed"} 0 dead letters\n`,
        stderr:
          "note: integration ticketing has no dead letters in the deployment with --consumer " +
          "hookswitch; `hookswitch dlq list` without --integration shows those that have\n",
      });
      expect(await remaining()).toEqual(before);
    },
  );

  it.each([
    [["list"], "no dead letters\n"],
    [["list", "--json"], "[]\n"],
  ])(
    "notes an --integration with no dead letters of its own to %j, and lists none",
    async (args, stdout) => {
      await theirs.add(deadLetter("ticketing"));
      const result = await dlq([...args, "--integration", "ticketing"]);
      expect(result).toMatchObject({ code: 0, stdout });
      expect(result.stderr).toMatch(
        /^note: integration ticketing has no dead letters in the deployment with --consumer hookswitch; /,
      );
      const listed = await dlq([...args, "--integration", "ticketing"], {
        HOOKSWITCH_CONSUMER: "gitsync",
      });
      expect(listed.stderr).toBe("");
    },
  );

  it("refuses to purge the other deployment's dead letter by id, and removes nothing of it", async () => {
    const r = await fill();
    const result = await dlq(["purge", String(r.ourCrm), String(r.oldCrm)], {
      HOOKSWITCH_CONSUMER: "gitsync",
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `dead letter ${r.ourCrm} belongs to the deployment with --consumer hookswitch, not to ` +
        "--consumer gitsync: not removed (give --consumer hookswitch to remove it)\n",
    );
    expect(result.stdout).toBe("removed 1 dead letter\n");
    expect(await remaining()).toEqual([r.ourCrm, r.theirCrm, r.ourBilling]);
  });

  it("purges --integration and --all of its own and the old layout's only", async () => {
    const r = await fill();
    const byIntegration = await dlq(["purge", "--integration", "crm", "--consumer", "gitsync"]);
    expect(byIntegration).toMatchObject({ code: 0, stdout: "removed 2 dead letters\n" });
    expect(await remaining()).toEqual([r.ourCrm, r.ourBilling]);

    const theirInvalid = await theirs.add(deadLetter(null));
    const all = await dlq(["purge", "--all"]);
    expect(all).toMatchObject({ code: 0, stdout: "removed 2 dead letters\n" });
    expect(await remaining()).toEqual([theirInvalid]);
    const { state } = await jsm.streams.info(DEAD_LETTER_STREAM, {
      subjects_filter: deadLetterSubject("gitsync", null),
    });
    expect(state.subjects).toEqual({ [deadLetterSubject("gitsync", null)]: 1 });
  });

  it.each(["*", ">", "a.b", ""])(
    "never takes %j for a --consumer: purge --all of every deployment is no one's to ask",
    async (consumer) => {
      const r = await fill();
      const result = await dlq(["purge", "--all", "--consumer", consumer]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain("is not a valid name");
      expect(await remaining()).toEqual([r.ourCrm, r.theirCrm, r.oldCrm, r.ourBilling]);
    },
  );
});
