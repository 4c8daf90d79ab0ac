/**
 * deploy/nats/permissions.conf, the least each NATS user of hookswitch needs, loaded as it
 * is into a real nats-server: the daemon and every command do all their work under it (NATS
 * logs each subject it refuses, and refuses none), and what it lacks is named.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterEach, describe, expect, it } from "vitest";
import { REPO, runCli, type CliResult } from "../support/cli.js";
import {
  killLeftOver,
  makeEvent,
  startTracked,
  tempDir,
  writeIntegration,
  type RunningDaemon,
} from "../support/daemon.js";
import { listedByCli } from "../support/dead-letters.js";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { startReceiver, type Receiver } from "../support/receiver.js";
import { waitFor } from "../support/wait.js";

const PERMISSIONS = readFileSync(join(REPO, "deploy/nats/permissions.conf"), "utf8");
const PASSWORDS = {
  HOOKSWITCH_NATS_PASSWORD: "pw-run",
  HOOKSWITCH_DLQ_NATS_PASSWORD: "pw-dlq",
  PBX_PUBLISHER_NATS_PASSWORD: "pw-pub",
  // A second deployment's, --consumer blue.
  BLUE_NATS_PASSWORD: "pw-blue",
  BLUE_DLQ_NATS_PASSWORD: "pw-blue-dlq",
};
const INBOX_PREFIX = "_INBOX_hookswitch";
const AS_DAEMON = { NATS_USER: "hookswitch", NATS_PASSWORD: "pw-run" };
const AS_OPERATOR = { NATS_USER: "hookswitch-dlq", NATS_PASSWORD: "pw-dlq" };
const AS_PUBLISHER = { NATS_USER: "pbx-publisher", NATS_PASSWORD: "pw-pub" };
const ADMIN = { user: "admin", pass: "pw-admin" };

let server: NatsServer | undefined;
let receiver: Receiver | undefined;
const daemons: RunningDaemon[] = [];
const cleanups: (() => void)[] = [];

afterEach(async () => {
  await killLeftOver(daemons);
  await receiver?.close();
  await server?.dispose();
  receiver = undefined;
  server = undefined;
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/**
 * The file as shipped, its password variables given values, beside an admin for checks.
 * JetStream is configured here, not on the command line: a reload would turn it off.
 */
function serverConfig(permissions: string, storeDir: string): string {
  let config = `jetstream { store_dir: ${JSON.stringify(storeDir)} }\n${permissions}`;
  for (const [name, value] of Object.entries(PASSWORDS)) {
    config = config.replaceAll(`$${name}`, JSON.stringify(value));
  }
  const admin = `{ user: ${ADMIN.user}, password: ${ADMIN.pass} }`;
  return config.replace(/users = \[\n/, (start) => `${start}    ${admin}\n`);
}

interface Started {
  log: string;
  /** Rewrites the server's configuration with `permissions` and has it read again. */
  reload(permissions: string): void;
}

async function startServer(permissions = PERMISSIONS): Promise<Started> {
  const dir = tempDir("hookswitch-perms-");
  cleanups.push(() => dir.cleanup());
  const conf = join(dir.path, "nats.conf");
  const log = join(dir.path, "nats.log");
  const store = join(dir.path, "store");
  writeFileSync(conf, serverConfig(permissions, store));
  server = await startNatsServer(["-c", conf, "-l", log], { jetstream: false });
  return {
    log,
    reload(next) {
      writeFileSync(conf, serverConfig(next, store));
      server!.reload();
    },
  };
}

/**
 * `extra`'s deployment users (its publisher aside) copied into `base`'s `authorization`
 * block, as operating.md says to: nats-server takes one block, the last one included.
 */
function withUsersOf(base: string, extra: string): string {
  const start = extra.indexOf("authorization {\n") + "authorization {\n".length;
  const blocks = extra.slice(start, extra.indexOf("  # The PBX's publisher"));
  const users = extra
    .split("\n")
    .filter((line) => line.startsWith("    { user: ") && !line.includes("pbx-publisher"));
  return base
    .replace("authorization {\n", `authorization {\n${blocks}`)
    .replace("  users = [\n", `  users = [\n${users.join("\n")}\n`);
}

/** What NATS refused, from its log: it logs every refusal, naming the subject. */
const refusals = (log: string) =>
  readFileSync(log, "utf8")
    .split("\n")
    .filter((line) => /violation/i.test(line));

/** Four integrations on one receiver: fine, failing once, slow (parks), always failing. */
async function integrations(): Promise<string> {
  receiver = await startReceiver((req) => {
    if (req.url === "/dead") return { status: 500 };
    if (req.url === "/slow") return { delayMs: 400 };
    const tries = receiver!.requests.filter(
      (r) => r.url === req.url && r.headers["webhook-id"] === req.headers["webhook-id"],
    ).length;
    return req.url === "/flaky" && tries === 1 ? { status: 503 } : undefined;
  });
  const dir = tempDir("hookswitch-perms-int-");
  cleanups.push(() => dir.cleanup());
  writeIntegration(dir.path, "fine", { url: `${receiver.url}/fine` });
  writeIntegration(dir.path, "flaky", { url: `${receiver.url}/flaky` });
  writeIntegration(dir.path, "slow", { url: `${receiver.url}/slow`, maxInFlight: 1 });
  writeIntegration(dir.path, "dead", {
    url: `${receiver.url}/dead`,
    retry: { maxAttempts: 2, initialDelay: "100ms", maxDelay: "100ms" },
  });
  return dir.path;
}

const cli = (args: string[], as: Record<string, string>, extra: string[] = []) =>
  runCli([...args, "--nats", server!.url, ...extra], { env: as });

const emit = (count: number): Promise<CliResult> =>
  cli(["emit", "user.created", "--count", String(count)], AS_PUBLISHER);

const dlq = (args: string[]) =>
  cli(["dlq", ...args], AS_OPERATOR, ["--inbox-prefix", INBOX_PREFIX]);

/** Deliveries answered 2xx on `path`: /flaky answers each one's first attempt 503. */
function delivered(path: string): number {
  const attempts = new Map<unknown, number>();
  for (const r of receiver!.requests.filter((r) => r.url === path)) {
    attempts.set(r.headers["webhook-id"], (attempts.get(r.headers["webhook-id"]) ?? 0) + 1);
  }
  const needed = path === "/flaky" ? 2 : 1;
  return [...attempts.values()].filter((n) => n >= needed).length;
}

interface Listed {
  id: number;
  webhookId: string;
  reason: string;
}
const deadLetters = async (): Promise<Listed[]> =>
  JSON.parse((await dlq(["list", "--json"])).stdout) as Listed[];

async function deliveryConsumers(): Promise<string[]> {
  const nc = await connect({ servers: server!.url, ...ADMIN });
  try {
    const jsm = await jetstreamManager(nc);
    const names: string[] = [];
    for await (const info of jsm.consumers.list("HOOKSWITCH_DELIVERIES")) names.push(info.name);
    return names.sort();
  } finally {
    await nc.close();
  }
}

function startRun(dir: string, args: string[] = []): Promise<RunningDaemon> {
  return startTracked(daemons, {
    natsUrl: server!.url,
    dir,
    args: ["--deliver", "all", ...args],
    env: { ...AS_DAEMON, NATS_INBOX_PREFIX: INBOX_PREFIX },
  });
}

describe("the NATS permissions shipped in deploy/nats/permissions.conf", () => {
  it("let the daemon, dlq and emit do all their work, and NATS refuses none of it", async () => {
    const { log } = await startServer();
    const dir = await integrations();
    const first = await startRun(dir);
    expect((await emit(6)).code).toBe(0);
    // Retried once, parked behind the slow one, dead-lettered: every kind of record.
    await waitFor(() => ["/fine", "/flaky", "/slow"].every((path) => delivered(path) === 6), {
      timeoutMs: 30_000,
      what: "six events delivered to each integration",
    });
    await waitFor(async () => (await deadLetters()).length === 6, {
      timeoutMs: 20_000,
      what: "six dead letters",
    });
    expect(await deliveryConsumers()).toEqual(["hookswitch-deliveries", "hookswitch_slow"]);
    expect(await first.stop()).toBe(0);

    // A narrower --subjects: the event consumer's filter changes, its start bookmarked first.
    const second = await startRun(dir, ["--subjects", "pbx.acme.>"]);
    expect((await emit(2)).code).toBe(0);
    await waitFor(() => delivered("/fine") === 8, { what: "events after the filter change" });
    await waitFor(async () => (await deadLetters()).length === 8, { what: "eight dead letters" });
    const [replayed] = await deadLetters();
    expect((await dlq(["replay", String(replayed!.id)])).code).toBe(0);
    await waitFor(
      async () =>
        (await deadLetters()).some(
          (d) => d.webhookId === replayed!.webhookId && d.id !== replayed!.id,
        ),
      { timeoutMs: 20_000, what: "the replay sent, and dead-lettered again" },
    );

    // An event that ran out of NATS deliveries: the server's advisory, as it sends it.
    const admin = await connect({ servers: server!.url, ...ADMIN });
    admin.publish(
      "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.PBX_EVENTS.hookswitch",
      JSON.stringify({ stream_seq: 1, deliveries: 20 }),
    );
    await admin.flush();
    await admin.close();
    await waitFor(
      async () =>
        (await deadLetters()).some((d) =>
          d.reason.startsWith("gave up after 20 deliveries of stream message 1:"),
        ),
      { what: "the event that ran out of deliveries, dead-lettered" },
    );
    expect((await dlq(["purge", "--all"])).code).toBe(0);
    expect(await second.stop()).toBe(0);

    expect(refusals(log)).toEqual([]);
  }, 90_000);

  it("printed by `hookswitch permissions` for other names, are enough for a deployment of those names, beside the default one", async () => {
    const names = ["--stream", "EV", "--subjects", "ev.>", "--consumer", "blue"];
    const printed = await runCli(["permissions", ...names]);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toContain("{ user: blue, password: $BLUE_NATS_PASSWORD");
    const { log } = await startServer(withUsersOf(PERMISSIONS, printed.stdout));
    const dir = await integrations();
    const daemon = await startTracked(daemons, {
      natsUrl: server!.url,
      dir,
      args: ["--deliver", "all", ...names],
      env: { NATS_USER: "blue", NATS_PASSWORD: "pw-blue", NATS_INBOX_PREFIX: "_INBOX_blue" },
    });
    // Routing reads the event, not the subject: any subject of the stream will do.
    const nc = await connect({ servers: server!.url, ...ADMIN });
    const js = jetstream(nc);
    for (let i = 0; i < 4; i++) {
      const event = makeEvent();
      await js.publish(`ev.acme.${i}`, JSON.stringify(event), { msgID: event.id });
    }
    await nc.close();
    await waitFor(() => ["/fine", "/flaky", "/slow"].every((path) => delivered(path) === 4), {
      timeoutMs: 30_000,
      what: "four events delivered to each integration",
    });
    const listed = await listedByCli(server!.url, {
      args: ["--consumer", "blue"],
      env: {
        NATS_USER: "blue-dlq",
        NATS_PASSWORD: "pw-blue-dlq",
        NATS_INBOX_PREFIX: "_INBOX_blue",
      },
    });
    expect(listed).toHaveLength(4);
    // The default deployment's users are still there, and still its own.
    expect(
      (await cli(["dlq", "list"], { ...AS_OPERATOR, NATS_INBOX_PREFIX: INBOX_PREFIX })).code,
    ).toBe(0);
    expect(await daemon.stop()).toBe(0);
    expect(refusals(log)).toEqual([]);
  }, 90_000);

  it("name what to allow, or --inbox-prefix, when a command's replies are refused", async () => {
    await startServer();
    const result = await cli(["dlq", "list"], AS_OPERATOR);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^hookswitch: NATS refused this user the subscription to its replies \(_INBOX\.\S+\): allow it to subscribe to _INBOX\.>, or set --inbox-prefix \(NATS_INBOX_PREFIX\)/,
    );
  });

  it("name the --inbox-prefix given when a command's replies under it are refused", async () => {
    await startServer();
    const result = await cli(["dlq", "list"], AS_OPERATOR, ["--inbox-prefix", "_INBOX_elsewhere"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^hookswitch: NATS refused this user the subscription to its replies \(_INBOX_elsewhere\.\S+\): allow it to subscribe to _INBOX_elsewhere\.>/,
    );
    expect(result.stderr).not.toContain("or set --inbox-prefix");
  });

  it("stop a daemon without --inbox-prefix at start, saying what to allow or set", async () => {
    await startServer();
    const dir = await integrations();
    const daemon = await startTracked(daemons, {
      natsUrl: server!.url,
      dir,
      env: AS_DAEMON,
      waitReady: false,
    });
    expect(await daemon.exited).toBe(1);
    expect(daemon.output()).toContain(
      "allow it to subscribe to _INBOX.>, or set --inbox-prefix (NATS_INBOX_PREFIX)",
    );
  });

  it("name a permission missing at run time, and lose nothing once it is given", async () => {
    const withoutParking = PERMISSIONS.replace('"hookswitch.parked.hookswitch.>"', "");
    const started = await startServer(withoutParking);
    const dir = await integrations();
    const daemon = await startRun(dir);
    expect((await emit(4)).code).toBe(0);
    await waitFor(() => daemon.output().includes("NATS refused this user publishing to"), {
      what: "the refusal logged",
    });
    expect(daemon.output()).toContain(
      "allow it to publish to hookswitch.parked.hookswitch.> in the NATS server's permissions",
    );
    started.reload(PERMISSIONS);
    await waitFor(() => delivered("/slow") === 4, {
      timeoutMs: 45_000,
      what: "the slow integration's deliveries once parking is allowed",
    });
    expect(delivered("/fine")).toBe(4);
  }, 90_000);
});
