/**
 * Messages the daemon has pulled wait for a free slot of --max-in-flight. When receivers
 * that take long to answer hold every slot, those messages must not wait past the ack wait,
 * for NATS would deliver them again and they would be sent twice.
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
import { sleep, waitFor } from "../support/wait.js";

const SLOW_ANSWER_MS = 9_000;

describe("hookswitch run while slow receivers hold every request slot", () => {
  let nats: NatsServer;
  let slow: Receiver;
  let fast: Receiver;
  let publisher: Publisher;
  let daemon: RunningDaemon;
  const dir = tempDir();

  beforeAll(async () => {
    nats = await startNatsServer();
    slow = await startReceiver(() => ({ delayMs: SLOW_ANSWER_MS }));
    fast = await startReceiver();
    publisher = await connectPublisher(nats.url);
    writeIntegration(
      dir.path,
      "slow",
      { url: `${slow.url}/x`, maxInFlight: 2, timeout: "20s" },
      { scope: { account: "slowco" } },
    );
    writeIntegration(dir.path, "fast", { url: `${fast.url}/x` });
    // Both slots go to the slow receiver; the ack wait is far shorter than its answers.
    daemon = await startDaemon({
      natsUrl: nats.url,
      dir: dir.path,
      args: ["--max-in-flight", "2", "--ack-wait", "3s"],
    });
  });

  afterAll(async () => {
    await stopThenCleanUp(
      daemon,
      () => publisher.close(),
      () => slow.close(),
      () => fast.close(),
      () => nats.dispose(),
      () => dir.cleanup(),
    );
  });

  it("sends the other integrations' events once each, not again when the ack wait runs out", async () => {
    await publisher.publish(makeEvent({ account: "slowco" }));
    await publisher.publish(makeEvent({ account: "slowco" }));
    await waitFor(() => slow.requests.length === 2, {
      what: "both slots held by the slow receiver",
    });
    // Many pull batches (one is four times --max-in-flight): those pulled wait together, and
    // the deliveries parked meanwhile are read back while the slow ones still hold the cap.
    const events = Array.from({ length: 60 }, () => makeEvent());
    for (const event of events) await publisher.publish(event);

    await waitFor(() => webhookIds(fast.requests).size === events.length, {
      timeoutMs: 30_000,
      what: "every fast event delivered",
    });
    const lastSlowAnswer = slow.requests[1]!.at + SLOW_ANSWER_MS;
    // Past the slow answers and two ack waits: anything redelivered would have come by now.
    await sleep(lastSlowAnswer + 7_000 - Date.now());
    expect(fast.requests).toHaveLength(events.length);
    expect(slow.requests).toHaveLength(2);
  }, 60_000);
});
