import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { startReceiver, type Receiver } from "../support/receiver.js";
import { integrationYaml } from "../support/config-dir.js";
import {
  connectPublisher,
  killLeftOver,
  makeEvent,
  startTracked,
  tempDir,
  type Publisher,
  type RunningDaemon,
} from "../support/daemon.js";
import { sleep, waitFor } from "../support/wait.js";

/** Longer than the test waits: the first request is still unanswered when it ends. */
const HELD_MS = 30_000;

describe("a maxInFlight raised while deliveries wait for room", () => {
  let nats: NatsServer;
  let receiver: Receiver;
  let publisher: Publisher;
  const daemons: RunningDaemon[] = [];
  const cleanups: (() => void)[] = [];

  beforeAll(async () => {
    nats = await startNatsServer();
    // The first request is held: the integration stays full until its cap is raised.
    receiver = await startReceiver((_req, index) => (index === 0 ? { delayMs: HELD_MS } : {}));
    publisher = await connectPublisher(nats.url);
  });
  afterAll(async () => {
    await publisher.close();
    await receiver.close();
    await nats.dispose();
  });
  afterEach(async () => {
    await killLeftOver(daemons);
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  const slowHook = (maxInFlight: number) =>
    integrationYaml("slow", {
      webhook: { url: `${receiver.url}/slow`, maxInFlight, timeout: "60s" },
    });

  it("sends the waiting deliveries at once, not after the held request ends", async () => {
    const dir = tempDir();
    cleanups.push(() => dir.cleanup());
    const file = join(dir.path, "slow.yaml");
    writeFileSync(file, slowHook(1));
    const daemon = await startTracked(daemons, {
      natsUrl: nats.url,
      dir: dir.path,
      args: ["--grace-period", "1s"],
    });
    for (let i = 0; i < 3; i++) await publisher.publish(makeEvent());
    await waitFor(() => receiver.requests.length === 1, { what: "the first, held request" });
    // Long enough for the other two to leave the integration's line and be parked.
    await sleep(1_000);
    expect(receiver.requests).toHaveLength(1);

    writeFileSync(file, slowHook(3));
    await waitFor(() => receiver.requests.length === 3, {
      timeoutMs: 10_000,
      what: "the two waiting deliveries, sent beside the held one",
    });
    expect(await daemon.stop()).toBe(0);
  }, 60_000);
});
