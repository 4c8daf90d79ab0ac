/**
 * A stop while nats-server hangs (SIGSTOP: its connections stay open, nothing is answered,
 * no error comes): each step of the shutdown ladder that needs NATS waits out its own bound,
 * the daemon exits 0, and what it held comes back to the next run.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { startReceiver, type Receiver } from "../support/receiver.js";
import {
  connectPublisher,
  killLeftOver,
  makeEvent,
  startTracked,
  tempDir,
  webhookIds,
  writeIntegration,
  type RunningDaemon,
} from "../support/daemon.js";
import { waitFor } from "../support/wait.js";

const EVENTS = 200;

describe("hookswitch run stopped while nats-server hangs", () => {
  let nats: NatsServer;
  let receiver: Receiver;
  let dir: ReturnType<typeof tempDir>;
  const daemons: RunningDaemon[] = [];

  beforeEach(async () => {
    nats = await startNatsServer();
    receiver = await startReceiver(() => ({ status: 200, delayMs: 50 }));
    dir = tempDir();
    writeIntegration(dir.path, "ledger", { url: `${receiver.url}/ledger`, maxInFlight: 16 });
  });
  afterEach(async () => {
    nats.thaw();
    await killLeftOver(daemons);
    await receiver.close();
    await nats.dispose();
    dir.cleanup();
  });

  const start = (args: string[] = []) =>
    startTracked(daemons, { natsUrl: nats.url, dir: dir.path, args, env: { LOG_LEVEL: "info" } });

  it("exits 0 once each step has waited its bound, says what it gave up, and loses no event", async () => {
    const first = await start(["--grace-period", "1s"]);
    const publisher = await connectPublisher(nats.url);
    try {
      for (let i = 0; i < EVENTS; i++) await publisher.publish(makeEvent());
    } finally {
      await publisher.close();
    }
    await waitFor(() => receiver.requests.length >= 20, { what: "deliveries under way" });

    nats.freeze();
    const stoppedAt = Date.now();
    first.signal("SIGTERM"); // not stop(), which would kill it after 15 s
    expect(await first.exited).toBe(0);
    // Each step bounded: at most the grace period and 35 s (docs/operating.md), some slack.
    expect(Date.now() - stoppedAt).toBeLessThan(40_000);
    const log = first.output();
    expect(log).toMatch(/"level":"warn".*stopping: gave up waiting to/);
    expect(log).toMatch(/"msg":"stopped"/);
    expect(log).not.toMatch(/"level":"(?:error|fatal)"/);

    nats.thaw();
    await start();
    await waitFor(() => webhookIds(receiver.requests).size >= EVENTS, {
      timeoutMs: 60_000,
      what: `${EVENTS} unique deliveries after the restart`,
    });
    expect(webhookIds(receiver.requests).size).toBe(EVENTS);
  }, 150_000);
});
