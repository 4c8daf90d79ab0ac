/**
 * Deliveries waiting in JetStream, by integration, on /metrics, /api/integrations and the
 * status page: the backlog the event consumer no longer shows once the events are
 * acknowledged (retries waiting for their time, deliveries parked while a receiver is busy).
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectPublisher,
  makeEvent,
  startDaemon,
  stopThenCleanUp,
  tempDir,
  writeIntegration,
  type Publisher,
  type RunningDaemon,
} from "../support/daemon.js";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { startReceiver, type Receiver } from "../support/receiver.js";
import { waitFor } from "../support/wait.js";

const EVENTS = 3;

interface Api {
  deliveriesWaiting: number | null;
  integrations: { name: string; waiting: { retry: number; parked: number } | null }[];
}

describe("hookswitch run reports the deliveries waiting in JetStream", () => {
  let nats: NatsServer;
  let failing: Receiver;
  let holding: Receiver;
  let publisher: Publisher;
  let daemon: RunningDaemon;
  const dir = tempDir();

  beforeAll(async () => {
    nats = await startNatsServer();
    failing = await startReceiver(() => ({ status: 503 }));
    // Answers after the test is over: one request open, the others parked meanwhile.
    holding = await startReceiver(() => ({ delayMs: 50_000 }));
    publisher = await connectPublisher(nats.url);
    writeIntegration(dir.path, "flaky", {
      url: `${failing.url}/x`,
      retry: { maxAttempts: 5, initialDelay: "1m", maxDelay: "1m" },
    });
    writeIntegration(
      dir.path,
      "busy",
      { url: `${holding.url}/x`, maxInFlight: 1, timeout: "60s" },
      { scope: { account: "busyco" } },
    );
    daemon = await startDaemon({
      natsUrl: nats.url,
      dir: dir.path,
      args: ["--ack-wait", "90s", "--grace-period", "1s"],
    });
  });

  afterAll(async () => {
    await stopThenCleanUp(
      daemon,
      () => publisher.close(),
      () => failing.close(),
      () => holding.close(),
      () => nats.dispose(),
      () => dir.cleanup(),
    );
  });

  it("counts each integration's retries and parked deliveries, and their total", async () => {
    for (let i = 0; i < EVENTS; i++) {
      await publisher.publish(makeEvent());
      await publisher.publish(makeEvent({ account: "busyco" }));
    }
    await waitFor(() => failing.requests.length === EVENTS && holding.requests.length === 1, {
      what: "every first attempt to flaky, and the one open request to busy",
    });

    // Read every 10 s.
    const text = await waitFor(
      async () => {
        const metrics = await (await fetch(`${daemon.http}/metrics`)).text();
        return metrics.includes('hookswitch_deliveries_waiting{integration="busy"') &&
          metrics.includes('hookswitch_deliveries_waiting{integration="flaky"')
          ? metrics
          : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 250, what: "the waiting deliveries read" },
    );
    expect(text).toMatch(
      new RegExp(
        `^hookswitch_deliveries_waiting\\{integration="flaky",kind="retry"\\} ${EVENTS}$`,
        "m",
      ),
    );
    expect(text).toMatch(
      new RegExp(
        `^hookswitch_deliveries_waiting\\{integration="busy",kind="parked"\\} ${EVENTS - 1}$`,
        "m",
      ),
    );
    // Only kinds that have some: no series at 0.
    expect(text).not.toMatch(/kind="parked"\} 0|kind="retry"\} 0/);

    const api = (await (await fetch(`${daemon.http}/api/integrations`)).json()) as Api;
    expect(api.deliveriesWaiting).toBe(EVENTS + EVENTS - 1);
    const waitingOf = (name: string) => api.integrations.find((i) => i.name === name)?.waiting;
    expect(waitingOf("flaky")).toEqual({ retry: EVENTS, parked: 0 });
    expect(waitingOf("busy")).toEqual({ retry: 0, parked: EVENTS - 1 });

    const page = await (await fetch(`${daemon.http}/`)).text();
    expect(page).toMatch(
      new RegExp(
        `<span class="k">Deliveries waiting</span><span class="v">${2 * EVENTS - 1}</span>`,
      ),
    );
    expect(page).toContain(`${EVENTS} retries · 0 parked waiting`);
  }, 60_000);

  it("warns when an integration that retries wait for is renamed, saying how many and what becomes of them", async () => {
    await waitFor(
      async () =>
        (await (await fetch(`${daemon.http}/metrics`)).text()).includes(
          `hookswitch_deliveries_waiting{integration="flaky",kind="retry"} ${EVENTS}`,
        ),
      { timeoutMs: 20_000, intervalMs: 250, what: "flaky's retries counted" },
    );
    writeIntegration(dir.path, "flaky-eu", {
      url: `${failing.url}/x`,
      retry: { maxAttempts: 5, initialDelay: "1m", maxDelay: "1m" },
    });
    rmSync(join(dir.path, "flaky.yaml"));
    await waitFor(() => daemon.output().includes("integration flaky was removed"), {
      timeoutMs: 10_000,
      what: "the warning of flaky's removal",
    });
    expect(daemon.output()).toContain(
      `integration flaky was removed (or renamed) while ${EVENTS} retries and 0 parked deliveries waited for it`,
    );
    // busy is still in force: nothing is said of its parked deliveries.
    expect(daemon.output()).not.toContain("integration busy was removed");
  }, 40_000);
});
