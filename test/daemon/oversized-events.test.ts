/**
 * `--max-event-size`: an event larger is not delivered but kept whole in the dead-letter
 * queue, and delivered by a replay once a replica runs with a limit that takes it.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import {
  connectPublisher,
  deliveredEvents,
  killLeftOver,
  makeEvent,
  startTracked,
  tempDir,
  writeIntegration,
  type RunningDaemon,
} from "../support/daemon.js";
import { listedByCli } from "../support/dead-letters.js";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { startReceiver, type Receiver } from "../support/receiver.js";
import { waitFor } from "../support/wait.js";

interface Listed {
  id: number;
  integration: string | null;
  eventId: string;
  reason: string;
}

describe("events larger than --max-event-size", () => {
  let nats: NatsServer;
  let receiver: Receiver;
  let dir: ReturnType<typeof tempDir>;
  const daemons: RunningDaemon[] = [];

  beforeEach(async () => {
    nats = await startNatsServer();
    receiver = await startReceiver();
    dir = tempDir();
    writeIntegration(dir.path, "crm", { url: `${receiver.url}/crm` });
  });
  afterEach(async () => {
    await killLeftOver(daemons);
    await receiver.close();
    await nats.dispose();
    dir.cleanup();
  });

  const deadLetters = () => listedByCli<Listed>(nats.url);

  it("are dead-lettered whole beside the others' deliveries, and delivered by a replay once the limit takes them", async () => {
    const first = await startTracked(daemons, { natsUrl: nats.url, dir: dir.path });
    const big = makeEvent({ name: "B".repeat(100 * 1024) });
    const small = makeEvent();
    const publisher = await connectPublisher(nats.url);
    await publisher.publish(big);
    await publisher.publish(small);
    await publisher.close();

    await waitFor(() => deliveredEvents(receiver).has(small.id), { what: "the small event" });
    const [kept] = await waitFor(
      async () => {
        const listed = await deadLetters();
        return listed.length > 0 ? listed : undefined;
      },
      { what: "the large event's dead letter" },
    );
    expect(kept).toMatchObject({ integration: null, eventId: big.id });
    expect(kept!.reason).toMatch(
      /^event of 10\d{4} bytes is larger than --max-event-size \(64 KiB\): not delivered; to deliver events this large, raise --max-event-size/,
    );
    expect(deliveredEvents(receiver).has(big.id)).toBe(false);
    expect(first.output()).toContain("event larger than --max-event-size dead-lettered");
    expect(await first.stop()).toBe(0);

    await startTracked(daemons, {
      natsUrl: nats.url,
      dir: dir.path,
      args: ["--max-event-size", "256KiB"],
    });
    const replay = await runCli(["dlq", "replay", String(kept!.id), "--nats", nats.url]);
    expect(replay.code).toBe(0);
    await waitFor(() => deliveredEvents(receiver).has(big.id), { what: "the replayed event" });
    const delivered = receiver.requests.find((r) => r.body.includes(big.id))!;
    expect(JSON.parse(delivered.body)).toMatchObject({ name: big.data.user.name });
    expect(await deadLetters()).toEqual([]);
  }, 60_000);
});
