/**
 * A main consumer loop whose message iterator ends with an error while the daemon runs:
 * NATS taking away the daemon user's permission to subscribe to its pull inboxes (a
 * configuration reload) ends the client's consume() iterators with a permissions
 * violation. The daemon reports not ready naming the consumer, reads it again once it is
 * allowed to, and delivers every event.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nkeys } from "@nats-io/transport-node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { startReceiver, type Receiver } from "../support/receiver.js";
import {
  killLeftOver,
  publishEvents,
  startTracked,
  tempDir,
  writeIntegration,
  type RunningDaemon,
  deliveredEvents,
  readiness,
} from "../support/daemon.js";
import { sleep, waitFor } from "../support/wait.js";

/**
 * The inboxes of consume() and fetch() (`_INBOX.<id>.1`), not the request inbox
 * (`_INBOX.<id>.*`) the JetStream API answers on: only the iterators end.
 */
const PULL_INBOXES = "_INBOX.*.1";

describe("hookswitch run when a consumer's message iterator ends with an error", () => {
  let folder: string;
  let nats: NatsServer;
  let receiver: Receiver;
  let dir: ReturnType<typeof tempDir>;
  let allowPullInboxes: (allowed: boolean) => void;
  let seedFile: string;
  const daemons: RunningDaemon[] = [];

  beforeEach(async () => {
    folder = mkdtempSync(join(tmpdir(), "hookswitch-loop-restart-"));
    const config = join(folder, "nats.conf");
    const daemonUser = nkeys.createUser();
    seedFile = join(folder, "daemon.nk");
    writeFileSync(seedFile, new TextDecoder().decode(daemonUser.getSeed()));
    // The test's own connections log in as `test` without credentials (no_auth_user).
    // JetStream is configured here, not on the command line: a reload would turn it off.
    allowPullInboxes = (allowed) =>
      writeFileSync(
        config,
        `jetstream { store_dir: "${join(folder, "store")}" }\n` +
          `no_auth_user: test\n` +
          `authorization { users = [\n` +
          `  { user: test, password: test }\n` +
          `  { nkey: "${daemonUser.getPublicKey()}"` +
          (allowed ? "" : `, permissions: { subscribe: { deny: ["${PULL_INBOXES}"] } }`) +
          ` }\n] }\n`,
      );
    allowPullInboxes(true);
    nats = await startNatsServer(["-c", config], { jetstream: false });
    receiver = await startReceiver();
    dir = tempDir();
    writeIntegration(dir.path, "ledger", { url: `${receiver.url}/ledger` });
  });
  afterEach(async () => {
    await killLeftOver(daemons);
    await receiver.close();
    await nats.dispose();
    dir.cleanup();
    rmSync(folder, { recursive: true, force: true });
  });

  it("reports not ready naming the consumer, reads it again once allowed, and delivers every event", async () => {
    const d = await startTracked(daemons, {
      natsUrl: nats.url,
      dir: dir.path,
      env: { NATS_NKEY: seedFile },
    });
    const before = await publishEvents(nats.url);
    await waitFor(() => before.every((id) => deliveredEvents(receiver).has(id)), {
      timeoutMs: 15_000,
      what: "the first delivery",
    });

    allowPullInboxes(false);
    nats.reload();
    const notReady = await waitFor(
      async () => {
        const r = await readiness(d);
        return r.status === 503 ? r : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 50, what: "/readyz 503 once the iterators ended" },
    );
    expect(notReady.body).toMatch(
      /consumer hookswitch(-deliveries)? stopped reading: Permissions Violation for Subscription/,
    );
    const meanwhile = await publishEvents(nats.url, 3);
    // Reading again fails while the permission is missing: still not ready a while later.
    await sleep(3_000);
    expect((await readiness(d)).status).toBe(503);

    allowPullInboxes(true);
    nats.reload();
    await waitFor(async () => (await readiness(d)).status === 200, {
      timeoutMs: 45_000,
      what: "ready again once the permission is back",
    });
    const after = await publishEvents(nats.url, 2);
    await waitFor(
      () => [...before, ...meanwhile, ...after].every((id) => deliveredEvents(receiver).has(id)),
      { timeoutMs: 30_000, what: "every event, published before, during and after" },
    );
    expect(d.output()).toMatch(/consumer hookswitch stopped reading \(Permissions Violation/);
    expect(d.output()).toMatch(/consumer hookswitch read again: consuming/);
    expect(d.output()).toMatch(/consumer hookswitch-deliveries read again: consuming/);
    expect((await readiness(d)).status).toBe(200);
  }, 120_000);

  it("stops cleanly, starting nothing again, when stopped while it waits to read again", async () => {
    const d = await startTracked(daemons, {
      natsUrl: nats.url,
      dir: dir.path,
      env: { NATS_NKEY: seedFile },
    });
    allowPullInboxes(false);
    nats.reload();
    await waitFor(async () => (await readiness(d)).status === 503, {
      timeoutMs: 15_000,
      intervalMs: 50,
      what: "/readyz 503 once the iterators ended",
    });
    // Past the first attempt (1 s): the next is due in 2 s, and the stop comes first.
    await sleep(1_500);
    allowPullInboxes(true);
    nats.reload();
    expect(await d.stop()).toBe(0);
    expect(d.output()).not.toMatch(/read again: consuming/);
  }, 60_000);
});
