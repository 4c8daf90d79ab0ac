import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DELIVERY_STREAM, parkedSubject } from "../../src/nats/layout.js";
import { DEFAULT_CONSUMER } from "../../src/nats/settings.js";
import { parkedConsumerName } from "../../src/nats/durable-consumers.js";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { startReceiver, type Receiver } from "../support/receiver.js";
import {
  connectPublisher,
  makeEvent,
  startTracked,
  tempDir,
  webhookIds,
  writeIntegration,
  type RunningDaemon,
  killLeftOver,
} from "../support/daemon.js";
import { sleep, waitFor } from "../support/wait.js";

/** Publishes `count` events and returns their ids. */
async function publishBacklog(natsUrl: string, count: number): Promise<string[]> {
  const publisher = await connectPublisher(natsUrl);
  const ids: string[] = [];
  try {
    for (let i = 0; i < count; i += 100) {
      const batch = Array.from({ length: Math.min(100, count - i) }, () => makeEvent());
      await Promise.all(batch.map((e) => publisher.publish(e)));
      ids.push(...batch.map((e) => e.id));
    }
  } finally {
    await publisher.close();
  }
  return ids;
}

describe("hookswitch run loses nothing", () => {
  let nats: NatsServer;
  let receiver: Receiver;
  let dir: ReturnType<typeof tempDir>;
  const daemons: RunningDaemon[] = [];

  beforeEach(async () => {
    nats = await startNatsServer();
    receiver = await startReceiver();
    dir = tempDir();
    writeIntegration(dir.path, "ledger", { url: `${receiver.url}/ledger`, maxInFlight: 64 });
  });
  afterEach(async () => {
    await killLeftOver(daemons);
    await receiver.close();
    await nats.dispose();
    dir.cleanup();
  });

  const start = (args: string[] = []) =>
    startTracked(daemons, { natsUrl: nats.url, dir: dir.path, args, env: { LOG_LEVEL: "info" } });

  it("delivers every event of a backlog after kill -9 and restart", async () => {
    const first = await start();
    expect(await first.stop()).toBe(0);
    const count = 2_000;
    await publishBacklog(nats.url, count);
    for (let round = 0; round < 2; round++) {
      const victim = await start();
      const before = receiver.requests.length;
      await waitFor(() => receiver.requests.length > before + 100, { what: "deliveries to start" });
      victim.child.kill("SIGKILL");
      await victim.exited;
    }
    await start();
    await waitFor(() => webhookIds(receiver.requests).size >= count, {
      timeoutMs: 60_000,
      what: `${count} unique deliveries`,
    });
    expect(webhookIds(receiver.requests).size).toBe(count);
  }, 120_000);

  it("keeps delivering when nats-server restarts mid-stream", async () => {
    await start();
    const firstHalf = await publishBacklog(nats.url, 300);
    await nats.stop();
    await sleep(1_500);
    await nats.start();
    const secondHalf = await publishBacklog(nats.url, 300);
    const expected = firstHalf.length + secondHalf.length;
    await waitFor(() => webhookIds(receiver.requests).size >= expected, {
      timeoutMs: 45_000,
      what: `${expected} unique deliveries`,
    });
    expect(webhookIds(receiver.requests).size).toBe(expected);
  }, 90_000);

  it("reports not ready within 30 s of nats-server hanging, and delivers once it answers again", async () => {
    const d = await start();
    const before = await publishBacklog(nats.url, 20);
    await waitFor(() => webhookIds(receiver.requests).size >= before.length, {
      what: "the first events delivered",
    });
    nats.freeze(); // SIGSTOP: no error and no close, only unanswered pings show it
    try {
      const frozenAt = Date.now();
      const notReady = await waitFor(
        async () => {
          const res = await fetch(`${d.http}/readyz`);
          return res.status === 503 ? await res.text() : undefined;
        },
        { timeoutMs: 50_000, intervalMs: 200, what: "/readyz 503 while NATS hangs" },
      );
      expect(notReady).toMatch(/not connected to NATS/);
      expect(Date.now() - frozenAt).toBeLessThanOrEqual(45_000);
      const metrics = await (await fetch(`${d.http}/metrics`)).text();
      expect(metrics).toMatch(/^hookswitch_nats_connected 0/m);
      expect(metrics).toMatch(/^hookswitch_nats_disconnects_total 1$/m);
    } finally {
      nats.thaw();
    }
    await waitFor(async () => (await fetch(`${d.http}/readyz`)).ok, {
      timeoutMs: 20_000,
      what: "ready again once NATS answers",
    });
    const after = await publishBacklog(nats.url, 20);
    await waitFor(() => webhookIds(receiver.requests).size >= before.length + after.length, {
      timeoutMs: 20_000,
      what: "the events published after the hang delivered",
    });
    expect(d.output()).toMatch(/stopped answering pings/);
  }, 120_000);

  it("exits 0 on SIGTERM and the next run delivers what was left", async () => {
    receiver.respond(() => ({ status: 200, delayMs: 100 }));
    const first = await start(["--grace-period", "1s"]);
    await publishBacklog(nats.url, 300);
    await waitFor(() => receiver.requests.length > 10, { what: "first deliveries" });
    expect(await first.stop()).toBe(0);
    expect(first.output()).toMatch(/"msg":"stopped"/);
    await start();
    await waitFor(() => webhookIds(receiver.requests).size >= 300, {
      timeoutMs: 45_000,
      what: "300 unique deliveries",
    });
    expect(webhookIds(receiver.requests).size).toBe(300);
  }, 90_000);

  it("exits 0 when nats-server hangs during the stop, once each step has waited its bound, and the next run delivers every event", async () => {
    // A hung server (SIGSTOP) keeps its connections open and answers nothing, with no error.
    receiver.respond(() => ({ status: 200, delayMs: 50 }));
    const first = await start(["--grace-period", "1s"]);
    await publishBacklog(nats.url, 200);
    await waitFor(() => receiver.requests.length >= 20, { what: "deliveries under way" });
    nats.freeze();
    const stoppedAt = Date.now();
    first.signal("SIGTERM"); // not stop(), which would kill it after 15 s
    try {
      expect(await first.exited).toBe(0);
    } finally {
      nats.thaw();
    }
    // Each step bounded: at most the grace period and 35 s (docs/operating.md), some slack.
    expect(Date.now() - stoppedAt).toBeLessThan(40_000);
    expect(first.output()).toMatch(/"level":"warn".*stopping: gave up waiting to/);
    expect(first.output()).toMatch(/"msg":"stopped"/);
    expect(first.output()).not.toMatch(/"level":"(?:error|fatal)"/);
    await start();
    await waitFor(() => webhookIds(receiver.requests).size >= 200, {
      timeoutMs: 60_000,
      what: "200 unique deliveries after the restart",
    });
    expect(webhookIds(receiver.requests).size).toBe(200);
  }, 150_000);

  it("stops at once on a second signal, and what it held comes back", async () => {
    receiver.respond((_req, i) => (i === 0 ? { status: 200, delayMs: 8_000 } : { status: 200 }));
    const first = await start(["--grace-period", "30s"]);
    const [event] = await publishBacklog(nats.url, 1);
    await waitFor(() => receiver.requests.length >= 1, { what: "the held delivery" });
    const stoppedAt = Date.now();
    first.signal("SIGTERM");
    await sleep(300);
    first.signal("SIGTERM");
    expect(await first.exited).toBe(143); // 128 + SIGTERM, as for any process it ends
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
    await start();
    await waitFor(() => receiver.requests.length >= 2, {
      timeoutMs: 20_000,
      what: "the event redelivered after the ack wait",
    });
    expect(receiver.requests.map((r) => r.headers["webhook-id"])).toEqual([
      receiver.requests[0]!.headers["webhook-id"],
      receiver.requests[0]!.headers["webhook-id"],
    ]);
    expect(event).toBeDefined();
  }, 60_000);

  it("shares the work between two daemons on one consumer, without duplicates", async () => {
    await Promise.all([start(), start()]);
    const count = 1_000;
    await publishBacklog(nats.url, count);
    await waitFor(() => receiver.requests.length >= count, {
      timeoutMs: 45_000,
      what: "deliveries",
    });
    await sleep(1_000);
    expect(webhookIds(receiver.requests).size).toBe(count);
    expect(receiver.requests).toHaveLength(count);
    const served = await Promise.all(
      daemons.map(async (d) => {
        const text = await (await fetch(`${d.http}/metrics`)).text();
        return Number(
          /hookswitch_deliveries_total\{integration="ledger",outcome="delivered"\} (\d+)/.exec(
            text,
          )?.[1] ?? 0,
        );
      }),
    );
    expect(served.every((n) => n > 0)).toBe(true);
  }, 90_000);

  it("keeps two deployments (different consumers) on one NATS from swallowing each other's parked deliveries", async () => {
    receiver.respond(() => ({ status: 200, delayMs: 150 }));
    writeIntegration(dir.path, "ledger", { url: `${receiver.url}/ledger`, maxInFlight: 1 });
    await Promise.all([start(["--consumer", "blue"]), start(["--consumer", "green"])]);
    const publisher = await connectPublisher(nats.url);
    const events = Array.from({ length: 8 }, () => makeEvent());
    await publisher.publish(events[0]!);
    await sleep(300); // the integration is now saturated and stalled: the rest is handed off
    for (const event of events.slice(1)) await publisher.publish(event);
    await publisher.close();
    await waitFor(() => receiver.requests.length >= events.length * 2, {
      timeoutMs: 30_000,
      what: "every event delivered by both deployments",
    });
    const perId = new Map<string, number>();
    for (const r of receiver.requests) {
      const id = String(r.headers["webhook-id"]);
      perId.set(id, (perId.get(id) ?? 0) + 1);
    }
    expect([...perId.values()]).toEqual(events.map(() => 2));
  }, 60_000);

  it("delivers the deliveries a killed replica parked from the next one, reading each once", async () => {
    receiver.respond(() => ({ status: 200, delayMs: 3_000 }));
    writeIntegration(dir.path, "ledger", { url: `${receiver.url}/ledger`, maxInFlight: 1 });
    const first = await start();
    const publisher = await connectPublisher(nats.url);
    const events = Array.from({ length: 7 }, () => makeEvent());
    await publisher.publish(events[0]!);
    await sleep(1_300); // no answer for a second: stalled, so its line is short and the rest is parked
    for (const event of events.slice(1)) await publisher.publish(event);
    await publisher.close();
    const nc = await connect({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      const parked = async () => {
        const info = await jsm.streams.info(DELIVERY_STREAM, {
          subjects_filter: parkedSubject(DEFAULT_CONSUMER, "ledger"),
        });
        return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
      };
      await waitFor(async () => (await parked()) >= 4, { what: "deliveries parked" });
      first.child.kill("SIGKILL");
      await first.exited;

      receiver.respond(() => ({ status: 200 }));
      await start();
      await waitFor(() => webhookIds(receiver.requests).size >= events.length, {
        timeoutMs: 30_000,
        what: "every event delivered",
      });
      await waitFor(async () => (await parked()) === 0, { what: "the parked deliveries done" });
      const reader = parkedConsumerName(DEFAULT_CONSUMER, "ledger");
      expect((await jsm.consumers.info(DELIVERY_STREAM, reader)).num_redelivered).toBe(0);
    } finally {
      await nc.close();
    }
  }, 60_000);

  it.each([
    ["one receiver that never answers, at the default caps", 1],
    ["five that never answer, whose caps add up to more than the global one", 5],
  ])(
    "keeps delivering to a fast integration beside %s",
    async (_, hung) => {
      const silent = await startReceiver(() => ({ status: 200, delayMs: 120_000 }));
      try {
        for (let i = 0; i < hung; i++) {
          const url = `${silent.url}/hung-${i}`;
          writeIntegration(dir.path, `hung-${i}`, { url, timeout: "60s" });
        }
        await start();
        const events = await publishBacklog(nats.url, 600);
        const started = Date.now();
        // Before, the first 256 events filled the events in progress (or the hung receivers
        // the requests in flight) until their requests timed out, a minute later.
        await waitFor(() => webhookIds(receiver.requests).size >= events.length, {
          timeoutMs: 15_000,
          what: "every event delivered to the fast integration",
        });
        expect(Date.now() - started).toBeLessThan(15_000);
        // The silent receivers held at most the global cap's share for those holding many.
        expect(silent.requests.length).toBeLessThanOrEqual(hung === 1 ? 64 : 192);
      } finally {
        await silent.close();
      }
    },
    60_000,
  );

  it("keeps delivering to a fast integration promptly once slow receivers answer a wave", async () => {
    // Five receivers that answer each request after 3 s: their caps (5 × 64) add up to more
    // than the global one (256). Their answers come all at once; the requests that follow
    // must not take the slots kept for the others, or those wait for the next wave.
    const slow = await startReceiver(() => ({ status: 200, delayMs: 3_000 }));
    try {
      for (let i = 0; i < 5; i++) {
        const url = `${slow.url}/slow-${i}`;
        writeIntegration(dir.path, `slow-${i}`, { url }, { scope: { account: "slowco" } });
      }
      await start();
      const publisher = await connectPublisher(nats.url);
      try {
        await Promise.all(
          Array.from({ length: 100 }, () => publisher.publish(makeEvent({ account: "slowco" }))),
        );
        await waitFor(() => slow.requests.length >= 64, { what: "the slow receivers' first wave" });
        const firstWave = slow.requests[0]!.at;
        // Past the first wave's answers, into the second wave.
        await sleep(Math.max(0, firstWave + 3_300 - Date.now()));
        const published = new Map<string, number>();
        for (let i = 0; i < 12; i++) {
          const event = makeEvent();
          published.set(event.id, Date.now());
          await publisher.publish(event);
          await sleep(200);
        }
        await waitFor(() => receiver.requests.length >= published.size, {
          timeoutMs: 10_000,
          what: "the fast deliveries",
        });
        const delays = receiver.requests.map((request) => {
          const { eventId } = JSON.parse(request.body) as { eventId: string };
          return request.at - published.get(eventId)!;
        });
        // Before, they waited for the slow receivers' next answers: up to 3 s each.
        expect(Math.max(...delays)).toBeLessThan(1_500);
      } finally {
        await publisher.close();
      }
    } finally {
      await slow.close();
    }
  }, 60_000);

  it("does not let a 5 s receiver delay another integration", async () => {
    const slow = await startReceiver(() => ({ status: 200, delayMs: 5_000 }));
    try {
      writeIntegration(dir.path, "slow-crm", { url: `${slow.url}/slow`, maxInFlight: 2 });
      await start();
      const publisher = await connectPublisher(nats.url);
      const started = Date.now();
      for (let i = 0; i < 10; i++) await publisher.publish(makeEvent());
      await publisher.close();
      await waitFor(() => receiver.requests.length >= 10, {
        timeoutMs: 10_000,
        what: "fast deliveries",
      });
      expect(Date.now() - started).toBeLessThan(4_000);
      expect(slow.requests.length).toBeLessThanOrEqual(2);
    } finally {
      await slow.close();
    }
  }, 60_000);
});
