/**
 * The event consumer's backlog on /metrics: what an operator watches to see whether the
 * replicas keep up, and what an autoscaler scales on.
 */
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectPublisher,
  makeEvent,
  startDaemon,
  tempDir,
  writeIntegration,
  type Publisher,
  type RunningDaemon,
} from "../support/daemon.js";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { waitFor } from "../support/wait.js";

/** A receiver that holds every request until released, then answers each at once. */
async function holdingReceiver() {
  const held: ServerResponse[] = [];
  let holding = true;
  let answered = 0;
  const answer = (res: ServerResponse) => {
    answered += 1;
    res.writeHead(200).end("ok");
  };
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => (holding ? held.push(res) : answer(res)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held: () => held.length,
    answered: () => answered,
    release() {
      holding = false;
      held.splice(0).forEach(answer);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function backlog(daemon: RunningDaemon) {
  const text = await (await fetch(`${daemon.http}/metrics`)).text();
  const read = (name: string) => {
    const value = new RegExp(`^${name} (\\d+)$`, "m").exec(text)?.[1];
    return value === undefined ? undefined : Number(value);
  };
  return {
    pending: read("hookswitch_events_pending"),
    unacknowledged: read("hookswitch_events_unacknowledged"),
  };
}

describe("hookswitch run reports the event consumer's backlog", () => {
  const EVENTS = 6;
  let nats: NatsServer;
  let receiver: Awaited<ReturnType<typeof holdingReceiver>>;
  let publisher: Publisher;
  let daemon: RunningDaemon;
  const dir = tempDir();

  beforeAll(async () => {
    nats = await startNatsServer();
    receiver = await holdingReceiver();
    publisher = await connectPublisher(nats.url);
    // One request at a time, and a timeout longer than the test holds it; an ack wait above
    // that timeout, as operating.md asks (the tests' 3 s would have NATS redeliver the events
    // that wait behind the held one).
    writeIntegration(dir.path, "held", {
      url: `${receiver.url}/x`,
      maxInFlight: 1,
      timeout: "60s",
    });
    daemon = await startDaemon({
      natsUrl: nats.url,
      dir: dir.path,
      args: ["--max-in-flight", "1", "--ack-wait", "90s"],
    });
  });

  afterAll(async () => {
    receiver.release();
    expect(await daemon.stop()).toBe(0);
    await publisher.close();
    await receiver.close();
    await nats.dispose();
    dir.cleanup();
  });

  it("counts every event not yet acknowledged while the receiver holds, and none once it answers", async () => {
    for (let i = 0; i < EVENTS; i++) await publisher.publish(makeEvent());
    await waitFor(() => receiver.held() === 1, { what: "the first request held" });
    // Read from NATS every 5 s: nothing is acknowledged while the first request is held.
    const waiting = await waitFor(
      async () => {
        const { pending, unacknowledged } = await backlog(daemon);
        const sum = (pending ?? 0) + (unacknowledged ?? 0);
        return sum === EVENTS ? { pending, unacknowledged } : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 250, what: "the backlog of all six events" },
    );
    expect(waiting.unacknowledged).toBeGreaterThanOrEqual(1);

    receiver.release();
    await waitFor(() => receiver.answered() === EVENTS, {
      timeoutMs: 30_000,
      what: "all six answered",
    });
    await waitFor(
      async () => {
        const { pending, unacknowledged } = await backlog(daemon);
        return pending === 0 && unacknowledged === 0;
      },
      { timeoutMs: 15_000, intervalMs: 250, what: "an empty backlog" },
    );
  }, 60_000);

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
