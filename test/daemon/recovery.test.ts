/**
 * JetStream losing what the daemon set up while it runs: a deleted consumer, NATS
 * restarted without its storage, and a missing stream with --no-create-stream.
 */
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { jetstreamManager, RetentionPolicy, type JetStreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from "vitest";
import { DEAD_LETTER_STREAM, DELIVERY_STREAM } from "../../src/nats/layout.js";
import { DEFAULT_CONSUMER, DEFAULT_STREAM } from "../../src/nats/settings.js";
import { runCli } from "../support/cli.js";
import { deleteInUse, startNatsServer, type NatsServer } from "../support/nats-server.js";
import { startReceiver, type Receiver } from "../support/receiver.js";
import {
  connectPublisher,
  makeEvent,
  publishEvents,
  startTracked,
  tempDir,
  writeIntegration,
  type RunningDaemon,
  killLeftOver,
  deliveredEvents,
  readiness,
} from "../support/daemon.js";
import { sleep, waitFor } from "../support/wait.js";

async function readyGauge(d: RunningDaemon): Promise<string | undefined> {
  const text = await (await fetch(`${d.http}/metrics`)).text();
  return /^hookswitch_ready (\d)/m.exec(text)?.[1];
}

/** Every /readyz answer from now until `stop()`, read every 20 ms. */
function watchReadiness(d: RunningDaemon): { stop(): { status: number; body: string }[] } {
  const seen: { status: number; body: string }[] = [];
  const timer = setInterval(() => {
    void readiness(d).then(
      (r) => seen.push(r),
      () => undefined,
    );
  }, 20);
  return {
    stop() {
      clearInterval(timer);
      return seen;
    },
  };
}

/** Deletes the event stream while events keep coming, as from a PBX (20 a second). */
async function deleteWhileFlowing(natsUrl: string, jsm: JetStreamManager): Promise<void> {
  const publisher = await connectPublisher(natsUrl);
  let publishing = true;
  const flow = (async () => {
    while (publishing) {
      await publisher.publish(makeEvent()).catch(() => undefined); // fails while it is gone
      await sleep(50);
    }
  })();
  try {
    await sleep(500);
    await deleteInUse(jsm, DEFAULT_STREAM);
    await sleep(500);
  } finally {
    publishing = false;
    await flow;
    await publisher.close();
  }
}

describe("hookswitch run when JetStream loses its streams or consumer", () => {
  let nats: NatsServer;
  let receiver: Receiver;
  let dir: ReturnType<typeof tempDir>;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const daemons: RunningDaemon[] = [];

  beforeEach(async () => {
    nats = await startNatsServer();
    receiver = await startReceiver();
    dir = tempDir();
    writeIntegration(dir.path, "ledger", { url: `${receiver.url}/ledger` });
    nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    jsm = await jetstreamManager(nc);
  });
  afterEach(async () => {
    await killLeftOver(daemons);
    await nc.close();
    await receiver.close();
    await nats.dispose();
    dir.cleanup();
  });

  const start = (args: string[] = [], waitReady = true) =>
    startTracked(daemons, { natsUrl: nats.url, dir: dir.path, args, waitReady });

  it("reports not ready when its consumer is deleted, re-creates it and delivers what waited", async () => {
    const d = await start();
    const [first] = await publishEvents(nats.url);
    await waitFor(() => receiver.requests.length >= 1, { what: "the first delivery" });

    await deleteInUse(jsm, DEFAULT_STREAM, DEFAULT_CONSUMER);
    const waiting = await publishEvents(nats.url, 3);
    const notReady = await waitFor(
      async () => {
        const r = await readiness(d);
        return r.status === 503 ? r : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 20, what: "/readyz 503 after the consumer was deleted" },
    );
    expect(notReady.body).toMatch(
      /consumer hookswitch on stream PBX_EVENTS (was deleted|not found)/,
    );

    await waitFor(async () => (await readiness(d)).status === 200, {
      timeoutMs: 20_000,
      intervalMs: 20,
      what: "ready again",
    });
    // Ready once it consumes again: the new consumer holds its pull already.
    expect(
      (await jsm.consumers.info(DEFAULT_STREAM, DEFAULT_CONSUMER)).num_waiting,
    ).toBeGreaterThan(0);
    expect(await readyGauge(d)).toBe("1");
    await waitFor(() => waiting.every((id) => deliveredEvents(receiver).has(id)), {
      timeoutMs: 15_000,
      what: "the events published while the consumer was missing",
    });
    // At least once: the first event may come again (acknowledged after the last ack-floor read).
    expect(deliveredEvents(receiver).has(first!)).toBe(true);
    await jsm.consumers.info(DEFAULT_STREAM, DEFAULT_CONSUMER);
    expect(d.output()).toMatch(
      /not ready while hookswitch sets up its streams and consumers again/,
    );
    expect(d.output()).toMatch(/JetStream set up again: consuming/);
  }, 60_000);

  it("re-creates a deleted event stream only once the server has removed it, and delivers what comes after", async () => {
    const d = await start();
    // A stream with files to remove: the server's clean-up of the deleted stream takes a while.
    const before = await publishEvents(nats.url, 300);
    await waitFor(() => before.every((id) => deliveredEvents(receiver).has(id)), {
      timeoutMs: 30_000,
      what: "the events published before the deletion",
    });
    // The race with the server's clean-up is lost only now and then: a few rounds.
    for (let round = 1; round <= 3; round++) {
      const created = (await jsm.streams.info(DEFAULT_STREAM)).created;
      await deleteWhileFlowing(nats.url, jsm);
      await waitFor(
        async () => {
          const info = await jsm.streams.info(DEFAULT_STREAM).catch(() => undefined);
          return info !== undefined && info.created !== created;
        },
        { timeoutMs: 20_000, intervalMs: 50, what: `the event stream created again (${round})` },
      );
      await waitFor(async () => (await readiness(d)).status === 200, {
        timeoutMs: 20_000,
        what: `ready again (${round})`,
      });
      const after = await publishEvents(nats.url, 50);
      await waitFor(() => after.every((id) => deliveredEvents(receiver).has(id)), {
        timeoutMs: 20_000,
        what: `every event published after the stream was created again (${round})`,
      });
      // Stored in the new stream, which still holds them (the old one's clean-up left it alone).
      const info = await jsm.streams.info(DEFAULT_STREAM);
      expect(info.state.messages).toBeGreaterThanOrEqual(after.length);
    }
  }, 150_000);

  it("re-creates a deleted dead-letter stream and stores the dead letters that met it missing", async () => {
    writeIntegration(dir.path, "gone", { url: `${receiver.url}/gone` });
    receiver.respond((req) => (req.url === "/gone" ? { status: 410 } : undefined));
    const d = await start();
    await deleteInUse(jsm, DEAD_LETTER_STREAM);
    const seen = watchReadiness(d);
    onTestFinished(() => void seen.stop()); // also when an expectation fails first
    const events = await publishEvents(nats.url, 2);

    const stored = await waitFor(
      async () => {
        const info = await jsm.streams.info(DEAD_LETTER_STREAM).catch(() => undefined);
        return info && info.state.messages >= 2 ? info : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 100, what: "both dead letters stored in a new stream" },
    );
    expect(stored.state.messages).toBe(2);
    await waitFor(async () => (await readiness(d)).status === 200, {
      timeoutMs: 20_000,
      what: "ready again",
    });
    const notReady = seen.stop().find((r) => r.status === 503);
    expect(notReady?.body).toMatch(/stream HOOKSWITCH_DLQ not found/);

    const listed = await runCli(["dlq", "list", "--json"], { env: { NATS_URL: nats.url } });
    expect(listed.code).toBe(0);
    const letters = JSON.parse(listed.stdout) as { integration: string; eventId: string }[];
    expect(letters.map((l) => l.integration)).toEqual(["gone", "gone"]);
    expect(new Set(letters.map((l) => l.eventId))).toEqual(new Set(events));
    // The dead letters were stored once the stream was back, without handing the events
    // back: the integration that answered 200 was sent each event once.
    const ledger = receiver.requests.filter((r) => r.url === "/ledger");
    expect(ledger.map((r) => (JSON.parse(r.body) as { eventId: string }).eventId).sort()).toEqual(
      [...events].sort(),
    );
    expect(d.output()).toMatch(/stream HOOKSWITCH_DLQ not found \(deleted/);
    expect(d.output()).not.toMatch(/jetstream is not enabled/);
  }, 60_000);

  it("re-creates its streams and consumer after NATS restarts with empty storage", async () => {
    const d = await start();
    await nats.stop();
    for (const entry of readdirSync(nats.storeDir)) {
      rmSync(join(nats.storeDir, entry), { recursive: true, force: true });
    }
    await nats.start();
    await waitFor(
      async () => {
        const names: string[] = [];
        try {
          for await (const name of jsm.streams.names()) names.push(name);
        } catch {
          return false; // JetStream not answering yet after the restart
        }
        return [DEFAULT_STREAM, DELIVERY_STREAM, "HOOKSWITCH_DLQ"].every((n) => names.includes(n));
      },
      { timeoutMs: 20_000, intervalMs: 250, what: "the three streams re-created" },
    );
    await waitFor(async () => (await readiness(d)).status === 200, {
      timeoutMs: 20_000,
      what: "ready again",
    });
    const [event] = await publishEvents(nats.url);
    await waitFor(() => deliveredEvents(receiver).has(event!), {
      timeoutMs: 15_000,
      what: "an event published after the restart delivered",
    });
    expect(d.output()).toMatch(/stream PBX_EVENTS not found|not found \(deleted, NATS restarted/);
    // One clear line, not a stack trace every 10 s from the parked-deliveries reader.
    expect(d.output()).not.toMatch(/cannot look for parked deliveries/);
  }, 60_000);

  it("with --no-create-stream, waits not ready for a missing stream, then consumes once it exists", async () => {
    const d = await start(["--no-create-stream"], false);
    const notReady = await waitFor(
      async () => {
        const r = await readiness(d).catch(() => undefined);
        return r && /does not exist and --no-create-stream is set/.test(r.body) ? r : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 100, what: "/readyz naming the missing stream" },
    );
    expect(notReady.status).toBe(503);
    // Waited out, not a crash loop: still running after a few tries, the problem logged once.
    await sleep(2_000);
    expect(d.child.exitCode).toBeNull();
    const warnings = d.output().match(/"level":"warn".*does not exist and --no-create/g) ?? [];
    expect(warnings).toHaveLength(1);

    await jsm.streams.add({ name: DEFAULT_STREAM, subjects: ["pbx.>"] });
    const [event] = await publishEvents(nats.url);
    await waitFor(async () => (await readiness(d)).status === 200, {
      timeoutMs: 40_000,
      what: "ready once the stream exists",
    });
    await waitFor(() => deliveredEvents(receiver).has(event!), {
      timeoutMs: 15_000,
      what: "the event published before it was ready delivered",
    });
  }, 90_000);

  it("with --no-create-stream, says the stream is missing until an operator creates it again", async () => {
    await jsm.streams.add({ name: DEFAULT_STREAM, subjects: ["pbx.>"] });
    const d = await start(["--no-create-stream"]);
    await deleteInUse(jsm, DEFAULT_STREAM);
    const notReady = await waitFor(
      async () => {
        const r = await readiness(d);
        return /does not exist and --no-create-stream is set/.test(r.body) ? r : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 100, what: "/readyz naming the missing stream" },
    );
    expect(notReady.status).toBe(503);
    expect(await readyGauge(d)).toBe("0");

    await jsm.streams.add({ name: DEFAULT_STREAM, subjects: ["pbx.>"] });
    // Published as soon as the stream exists, before the daemon has its consumer again.
    const [early] = await publishEvents(nats.url);
    await waitFor(async () => (await readiness(d)).status === 200, {
      timeoutMs: 40_000,
      what: "ready again once the stream exists",
    });
    const [event] = await publishEvents(nats.url);
    await waitFor(
      () => deliveredEvents(receiver).has(early!) && deliveredEvents(receiver).has(event!),
      { timeoutMs: 15_000, what: "events published before and after it was ready delivered" },
    );
  }, 90_000);

  it("cancels the set-up retries at stop: nothing is logged after stopped", async () => {
    // A deliveries stream with the wrong retention: a set-up error that is retried.
    await jsm.streams.add({
      name: DELIVERY_STREAM,
      subjects: ["hookswitch.deliveries.>"],
      retention: RetentionPolicy.Limits,
    });
    const d = await start([], false);
    await waitFor(() => /JetStream set-up failed: .*; retrying/.test(d.output()), {
      what: "a set-up retry",
    });
    // Waited out not ready, saying why, rather than given up after a few tries.
    expect(await readiness(d)).toMatchObject({ status: 503 });
    expect((await readiness(d)).body).toMatch(/JetStream set-up failed: .*retention/i);
    expect(await d.stop()).toBe(0);
    const afterStop = d.output().split(/"msg":"stopped"/)[1] ?? "";
    expect(afterStop).not.toMatch(/JetStream set-up failed/);
  }, 60_000);
});
