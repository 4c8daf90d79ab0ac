/**
 * The event consumer's backlog on /metrics: what an operator watches to see whether the
 * replicas keep up, and what an autoscaler scales on.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectPublisher,
  makeEvent,
  startDaemon,
  stopThenCleanUp,
  tempDir,
  webhookIds,
  writeIntegration,
  type Publisher,
  type RunningDaemon,
} from "../support/daemon.js";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { startReceiver, type Receiver } from "../support/receiver.js";
import { waitFor } from "../support/wait.js";

async function backlog(daemon: RunningDaemon) {
  const text = await (await fetch(`${daemon.http}/metrics`)).text();
  const read = (name: string) => {
    const value = new RegExp(`^${name} (\\d+)$`, "m").exec(text)?.[1];
    return value === undefined ? undefined : Number(value);
  };
  const lastAcknowledged = /^hookswitch_events_last_acknowledged_timestamp_seconds (\S+)$/m.exec(
    text,
  )?.[1];
  return {
    pending: read("hookswitch_events_pending"),
    unacknowledged: read("hookswitch_events_unacknowledged"),
    lastAcknowledged: lastAcknowledged === undefined ? undefined : Number(lastAcknowledged),
  };
}

describe("hookswitch run reports the event consumer's backlog", () => {
  const EVENTS = 30;
  // One request at a time, each answered in 400 ms: the events go out over 12 s, and the
  // backlog is read every 5 s. (Under a second, so that none waits long enough for a spare
  // place and is parked: delivery/concurrency/intake.ts.)
  const ANSWER_MS = 400;
  let nats: NatsServer;
  let receiver: Receiver;
  let publisher: Publisher;
  let daemon: RunningDaemon;
  const dir = tempDir();

  beforeAll(async () => {
    nats = await startNatsServer();
    receiver = await startReceiver(() => ({ delayMs: ANSWER_MS }));
    publisher = await connectPublisher(nats.url);
    writeIntegration(dir.path, "slow", { url: `${receiver.url}/x`, maxInFlight: 1 });
    daemon = await startDaemon({
      natsUrl: nats.url,
      dir: dir.path,
      args: ["--max-in-flight", "1", "--ack-wait", "30s"],
    });
  });

  afterAll(async () => {
    await stopThenCleanUp(
      daemon,
      () => publisher.close(),
      () => receiver.close(),
      () => nats.dispose(),
      () => dir.cleanup(),
    );
  });

  it("counts the events not yet delivered and those not yet acknowledged, and none once all are answered", async () => {
    // Nothing acknowledged yet: no time to show, rather than a time that would read as a stall.
    expect((await backlog(daemon)).lastAcknowledged).toBeUndefined();
    for (let i = 0; i < EVENTS; i++) await publisher.publish(makeEvent());
    // Some events pulled and in progress, the rest still on the server.
    const waiting = await waitFor(
      async () => {
        const reading = await backlog(daemon);
        const { pending = 0, unacknowledged = 0 } = reading;
        return pending >= 1 && unacknowledged >= 1 ? reading : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 250, what: "a backlog both pulled and not" },
    );
    expect(waiting.pending! + waiting.unacknowledged!).toBeLessThanOrEqual(EVENTS);

    await waitFor(() => webhookIds(receiver.requests).size === EVENTS, {
      timeoutMs: 40_000,
      what: "every event delivered",
    });
    await waitFor(
      async () => {
        const { pending, unacknowledged } = await backlog(daemon);
        return pending === 0 && unacknowledged === 0;
      },
      { timeoutMs: 15_000, intervalMs: 250, what: "an empty backlog" },
    );
    expect(receiver.requests).toHaveLength(EVENTS);
  }, 70_000);

  it("shows when NATS last took an event's acknowledgement, up to the last one", async () => {
    const lastArrival = Math.max(...receiver.requests.map((r) => r.at)) / 1000;
    const { lastAcknowledged } = await waitFor(
      async () => {
        const reading = await backlog(daemon);
        return (reading.lastAcknowledged ?? 0) >= lastArrival - 0.5 ? reading : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 250, what: "the last acknowledgement's time" },
    );
    expect(lastAcknowledged).toBeLessThanOrEqual(Date.now() / 1000 + 1);
  });

  it("shows the events waiting on the status page and in /api/integrations", async () => {
    // After the test above the backlog is empty: the page shows the reading, not "unknown".
    const api = (await (await fetch(`${daemon.http}/api/integrations`)).json()) as {
      eventsPending: number | null;
    };
    expect(api.eventsPending).toBe(0);
    const page = await (await fetch(`${daemon.http}/`)).text();
    expect(page).toMatch(/<span class="k">Events waiting<\/span><span class="v">0<\/span>/);
  });
});

describe("hookswitch run's backlog while a webhook is held in flight", () => {
  let nats: NatsServer;
  let receiver: Receiver;
  let publisher: Publisher;
  let daemon: RunningDaemon;
  let release = () => undefined as void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const dir = tempDir();

  beforeAll(async () => {
    nats = await startNatsServer();
    receiver = await startReceiver(() => ({ until: released }));
    publisher = await connectPublisher(nats.url);
    writeIntegration(dir.path, "held", { url: `${receiver.url}/held` });
    daemon = await startDaemon({ natsUrl: nats.url, dir: dir.path, args: ["--ack-wait", "30s"] });
  });

  afterAll(async () => {
    release();
    await stopThenCleanUp(
      daemon,
      () => publisher.close(),
      () => receiver.close(),
      () => nats.dispose(),
      () => dir.cleanup(),
    );
  });

  it("counts its event as unacknowledged, and no longer as waiting", async () => {
    await publisher.publish(makeEvent());
    await waitFor(() => receiver.requests.length === 1, { what: "the webhook in flight" });
    const reading = await waitFor(
      async () => {
        const read = await backlog(daemon);
        return read.unacknowledged === 1 ? read : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 250, what: "one event unacknowledged" },
    );
    expect(reading.pending).toBe(0);
  }, 30_000);
});
