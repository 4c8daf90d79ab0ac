import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DELIVERY_STREAM } from "../../src/nats/layout.js";
import { DEFAULT_CONSUMER, DEFAULT_STREAM } from "../../src/nats/settings.js";
import { acksApplied, startNatsServer, type NatsServer } from "../support/nats-server.js";
import { startReceiver, type Receiver } from "../support/receiver.js";
import {
  connectPublisher,
  makeEvent,
  startTracked,
  tempDir,
  writeIntegration,
  type RunningDaemon,
  killLeftOver,
} from "../support/daemon.js";
import { arrivals } from "../support/ledger.js";
import { startSilentPort } from "../support/silent-port.js";
import { sleep, waitFor } from "../support/wait.js";

/** A long ack wait: anything that only comes back by it misses these tests' deadlines. */
const ACK_WAIT = ["--ack-wait", "30s"];

describe("hookswitch run stops cleanly", () => {
  let nats: NatsServer;
  let fast: Receiver;
  let slow: Receiver;
  let dir: ReturnType<typeof tempDir>;
  const daemons: RunningDaemon[] = [];

  beforeEach(async () => {
    nats = await startNatsServer();
    fast = await startReceiver();
    slow = await startReceiver(() => ({ status: 200, delayMs: 15_000 }));
    dir = tempDir();
  });
  afterEach(async () => {
    await killLeftOver(daemons);
    await fast.close();
    await slow.close();
    await nats.dispose();
    dir.cleanup();
  });

  const start = (args: string[]) =>
    startTracked(daemons, { natsUrl: nats.url, dir: dir.path, args, env: { LOG_LEVEL: "info" } });

  const publish = async (count: number) => {
    const publisher = await connectPublisher(nats.url);
    try {
      for (let i = 0; i < count; i++) await publisher.publish(makeEvent());
    } finally {
      await publisher.close();
    }
  };

  /**
   * A daemon (15 s of grace unless told) whose receiver answers three webhooks with `status`
   * once NATS has gone down: what the answers leave to send or store waits for NATS.
   */
  const answeredWhileNatsIsDown = async (status: number, grace = "15s") => {
    writeIntegration(dir.path, "fast", { url: `${fast.url}/fast` });
    let answer = () => undefined as void;
    const answers = new Promise<void>((resolve) => (answer = resolve));
    fast.respond(() => ({ status, until: answers }));
    const daemon = await start(["--grace-period", grace, ...ACK_WAIT]);
    await publish(3);
    await waitFor(() => fast.requests.length === 3, { what: "three webhooks in flight" });
    await nats.stop();
    await waitFor(async () => (await fetch(`${daemon.http}/readyz`)).status === 503, {
      what: "the daemon to see NATS gone",
    });
    answer();
    await sleep(300);
    return daemon;
  };

  it("exits 0 on SIGTERM while NATS is down, warning that it could not hand anything back", async () => {
    writeIntegration(dir.path, "fast", { url: `${fast.url}/fast` });
    const daemon = await start([]);
    await nats.stop();
    await waitFor(async () => (await fetch(`${daemon.http}/readyz`)).status === 503, {
      what: "the daemon to see NATS gone",
    });
    const stoppedAt = Date.now();
    expect(await daemon.stop()).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
    expect(daemon.output()).toMatch(/"level":"warn".*"msg":"stopping without NATS/);
    expect(daemon.output()).not.toMatch(/"level":"fatal"/);
    expect(daemon.output()).toMatch(/"msg":"stopped"/);
  }, 40_000);

  it("sends the acknowledgements it holds when NATS comes back within the grace period, then exits 0", async () => {
    // Answered while NATS is down: three acks wait for it.
    const daemon = await answeredWhileNatsIsDown(200);
    const exited = daemon.stop();
    await waitFor(() => /waiting for it to send acknowledgements/.test(daemon.output()), {
      what: "the stop to wait for NATS",
    });
    await nats.start();
    expect(await exited).toBe(0);
    expect(daemon.output()).not.toMatch(/not sent/);

    // Acks never sent leave the three delivered and pending until the ack wait.
    const nc = await connect({ servers: nats.url });
    try {
      const info = await acksApplied(await jetstreamManager(nc), DEFAULT_STREAM, DEFAULT_CONSUMER);
      expect(info.num_ack_pending).toBe(0);
    } finally {
      await nc.close();
    }
  }, 60_000);

  it("says at a stop while NATS is down that it waits to store retries, and stores them once NATS is back", async () => {
    // Three failures while NATS is down: three retries to store.
    const daemon = await answeredWhileNatsIsDown(500);
    const exited = daemon.stop();
    await waitFor(() => /waiting for it to store retries/.test(daemon.output()), {
      what: "the stop to say it waits for NATS",
    });
    expect(daemon.output()).toMatch(/"records":3/);
    await nats.start();
    expect(await exited).toBe(0);

    const nc = await connect({ servers: nats.url });
    try {
      const stored = await jetstreamManager(nc).then((jsm) => jsm.streams.info(DELIVERY_STREAM));
      expect(stored.state.messages).toBe(3);
    } finally {
      await nc.close();
    }
  }, 60_000);

  it("counts what it leaves in a warning when NATS stays down past the grace period, and logs nothing after 'stopped'", async () => {
    // Three failures while NATS is down: three retries that cannot be stored.
    const daemon = await answeredWhileNatsIsDown(500, "1s");
    expect(await daemon.stop()).toBe(0);
    const lines = daemon
      .output()
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { msg: string; unfinished?: number });
    const left = lines.filter((line) => line.msg.includes("messages not finished"));
    expect(left.map((line) => line.unfinished)).toEqual([3]);
    expect(lines.at(-1)?.msg).toBe("stopped");
  }, 60_000);

  it("exits 0 within the grace period and its hand-back wait when NATS goes down with a delivery in flight, and the delivery comes again", async () => {
    writeIntegration(dir.path, "slow", { url: `${slow.url}/slow` });
    const daemon = await start(["--grace-period", "1s"]);
    await publish(1);
    await waitFor(() => slow.requests.length >= 1, { what: "the slow attempt" });
    await nats.stop();
    const stoppedAt = Date.now();
    expect(await daemon.stop()).toBe(0);
    // 1 s of grace, at most 5 s to hand the aborted delivery back, then the closes.
    expect(Date.now() - stoppedAt).toBeLessThan(12_000);
    expect(daemon.output()).toMatch(/"level":"warn"/);
    expect(daemon.output()).not.toMatch(/"level":"fatal"/);
    // Aborted, and not parked: NATS is down, and no line says otherwise.
    expect(daemon.output()).not.toMatch(/parked for the next run/);

    slow.respond(() => ({ status: 200 }));
    await nats.start();
    await start(["--ack-wait", "3s"]);
    await waitFor(() => slow.requests.length >= 2, {
      timeoutMs: 20_000,
      what: "the unacknowledged event back after the ack wait",
    });
    expect(arrivals(slow.requests).size).toBe(1);
  }, 60_000);

  it("exits 0 promptly on SIGTERM while a receiver holds a TLS handshake open, without waiting on its connection", async () => {
    const stuck = await startSilentPort();
    try {
      writeIntegration(dir.path, "stuck-tls", { url: stuck.url, timeout: "30s" });
      const daemon = await start(["--grace-period", "1s"]);
      await publish(1);
      await waitFor(() => stuck.open() >= 1, { what: "the connection to the stuck port" });
      const stoppedAt = Date.now();
      expect(await daemon.stop()).toBe(0);
      // Not the 30 s the connection's set-up may take; nor a 5 s wait for it, given up on.
      expect(Date.now() - stoppedAt).toBeLessThan(15_000);
      expect(daemon.output()).not.toMatch(/gave up waiting to close webhook connections/);
      expect(daemon.output()).toMatch(/"msg":"stopped"/);
    } finally {
      await stuck.close();
    }
  }, 40_000);

  it("sends each delivery of a fan-out once across a graceful stop: only the aborted ones come again, and promptly", async () => {
    writeIntegration(dir.path, "fast", { url: `${fast.url}/fast` });
    writeIntegration(dir.path, "slow", { url: `${slow.url}/slow` });
    const first = await start(["--grace-period", "2s", ...ACK_WAIT]);
    await publish(4);
    await waitFor(() => fast.requests.length >= 4 && slow.requests.length >= 4, {
      what: "every first attempt under way",
    });
    expect(await first.stop()).toBe(0);

    slow.respond(() => ({ status: 200 }));
    await start(ACK_WAIT);
    // Promptly: well within the 30 s ack wait, after which anything would come back anyway.
    await waitFor(() => slow.requests.length >= 8, {
      timeoutMs: 10_000,
      what: "the aborted deliveries sent again, before the ack wait",
    });
    await sleep(1_500); // room for a duplicate, were one on its way
    expect([...arrivals(fast.requests).values()]).toEqual([1, 1, 1, 1]);
    expect([...arrivals(slow.requests).values()]).toEqual([2, 2, 2, 2]);
    expect(first.output()).toMatch(/delivery aborted at shutdown: parked for the next run/);
  }, 60_000);

  it("stops the same way on SIGINT (Ctrl-C in a terminal): exit 0, the delivery in flight parked", async () => {
    writeIntegration(dir.path, "slow", { url: `${slow.url}/slow` });
    const daemon = await start(["--grace-period", "1s", ...ACK_WAIT]);
    await publish(1);
    await waitFor(() => slow.requests.length >= 1, { what: "the attempt under way" });
    daemon.signal("SIGINT");
    expect(await daemon.exited).toBe(0);
    expect(daemon.output()).toMatch(/delivery aborted at shutdown: parked for the next run/);
    expect(daemon.output()).toMatch(/"msg":"stopped"/);
  }, 40_000);

  it("sends each retry that comes due during a graceful stop once, and before the ack wait", async () => {
    // While the stopping daemon finished C, B's and X's retries came due, and nats-server
    // 2.9 gave the first of them to the stopped loop's pull request, still open on the server
    // and listened to by nobody: that retry came back only after the ack wait, and the last
    // record delivered (X's) was delivered again as new, so X's retry could be sent twice.
    writeIntegration(dir.path, "flaky", {
      url: `${fast.url}/flaky`,
      retry: { maxAttempts: 5, initialDelay: "1s", maxDelay: "2s" },
    });
    const order: string[] = [];
    fast.respond((req) => {
      const id = String(req.headers["webhook-id"]);
      const first = !order.includes(id);
      if (first) order.push(id);
      if (order.indexOf(id) === 2) return { status: 200, delayMs: 3_000 }; // C
      return { status: first ? 503 : 200 }; // B and X: their retries wait 1–2 s
    });
    const daemon = await start(ACK_WAIT);
    await publish(1);
    await waitFor(() => fast.requests.length >= 1, { what: "B's first attempt" });
    await publish(1);
    await waitFor(() => fast.requests.length >= 2, { what: "X's first attempt" });
    await publish(1);
    await waitFor(() => fast.requests.length >= 3, { what: "C in flight" });
    const stoppedAt = Date.now();
    expect(await daemon.stop()).toBe(0);

    // The next replica comes after the retries came due, as in a restart.
    await sleep(Math.max(0, stoppedAt + 2_000 - Date.now()));
    await start(ACK_WAIT);
    await waitFor(() => fast.requests.length >= 5, {
      timeoutMs: 15_000,
      what: "B's and X's retries, before the ack wait",
    });
    await sleep(1_500); // room for a duplicate, were one on its way
    expect(order.map((id) => arrivals(fast.requests).get(id))).toEqual([2, 2, 1]);
  }, 60_000);

  it("hands back what it pulled but had not started so that each comes back once, promptly", async () => {
    writeIntegration(dir.path, "fast", { url: `${fast.url}/fast` });
    fast.respond(() => ({ status: 200, delayMs: 300 }));
    const first = await start(["--max-in-flight", "2", "--grace-period", "5s", ...ACK_WAIT]);
    await publish(20);
    await waitFor(() => fast.requests.length >= 2, { what: "the first deliveries" });
    expect(await first.stop()).toBe(0);
    const sent = fast.requests.length;
    expect(sent).toBeLessThan(20);

    fast.respond(() => ({ status: 200 }));
    await start(ACK_WAIT);
    // Promptly: well within the 30 s ack wait, after which anything would come back anyway.
    await waitFor(() => arrivals(fast.requests).size >= 20, {
      timeoutMs: 15_000,
      what: "every event delivered, before the ack wait",
    });
    await sleep(1_500); // room for a duplicate, were one on its way
    expect(fast.requests).toHaveLength(20);
  }, 60_000);

  it("stops its periodic reads of JetStream as soon as it stops, while deliveries are still finishing", async () => {
    // Held past the grace period: it does not time out first (10 s unless told).
    writeIntegration(dir.path, "slow", { url: `${slow.url}/slow`, timeout: "60s" });
    let answer = () => undefined as void;
    slow.respond(() => ({
      status: 200,
      until: new Promise<void>((resolve) => (answer = resolve)),
    }));
    const watcher = await connect({ servers: nats.url });
    try {
      // Every JetStream API request the daemon sends, seen on NATS itself.
      const requests: string[] = [];
      watcher.subscribe("$JS.API.>", {
        callback: (_err, msg) => {
          requests.push(msg.subject);
        },
      });
      await watcher.flush();
      const daemon = await start(["--grace-period", "18s", ...ACK_WAIT]);
      await publish(1);
      await waitFor(() => slow.requests.length >= 1, { what: "the slow delivery in flight" });
      // The daemon reads its consumers every few seconds while it runs.
      const before = requests.length;
      await waitFor(() => requests.slice(before).some((s) => s.includes(".CONSUMER.INFO.")), {
        timeoutMs: 15_000,
        what: "a periodic read of a consumer",
      });

      daemon.signal("SIGTERM");
      await waitFor(async () => (await fetch(`${daemon.http}/readyz`)).status === 503, {
        what: "the daemon to be stopping",
      });
      const stopping = requests.length;
      // The grace period (18 s) outlasts a round of each read it would have made: the
      // dead-letter count's, every 15 s, too.
      expect(await daemon.exited).toBe(0);
      expect(daemon.output()).toMatch(/"msg":"stopped"/);
      const reads = requests.slice(stopping).filter((s) => /\.(CONSUMER|STREAM)\.INFO\./.test(s));
      expect(reads).toEqual([]);
    } finally {
      answer();
      await watcher.close();
    }
  }, 60_000);
});
