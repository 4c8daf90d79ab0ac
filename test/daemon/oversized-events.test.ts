/**
 * `--max-event-size`: an event larger is not delivered but kept whole in the dead-letter
 * queue, and delivered by a replay once a replica runs with a limit that takes it.
 */
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { connectPublisher, deliveredEvents, makeEvent, startTracked } from "../support/daemon.js";
import { listedByCli } from "../support/dead-letters.js";
import { useFreshParts } from "../support/real-parts.js";
import { waitFor } from "../support/wait.js";

interface Listed {
  id: number;
  integration: string | null;
  eventId: string;
  reason: string;
}

describe("events larger than --max-event-size", () => {
  const parts = useFreshParts("crm");

  const deadLetters = () => listedByCli<Listed>(parts.nats.url);

  it("are dead-lettered whole beside the others' deliveries, and delivered by a replay once the limit takes them", async () => {
    const first = await startTracked(parts.daemons, { natsUrl: parts.nats.url, dir: parts.dir });
    const big = makeEvent({ name: "B".repeat(100 * 1024) });
    const small = makeEvent();
    const publisher = await connectPublisher(parts.nats.url);
    await publisher.publish(big);
    await publisher.publish(small);
    await publisher.close();

    await waitFor(() => deliveredEvents(parts.receiver).has(small.id), { what: "the small event" });
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
    expect(deliveredEvents(parts.receiver).has(big.id)).toBe(false);
    const line = first
      .output()
      .split("\n")
      .find((l) => l.includes("event larger than --max-event-size dead-lettered"));
    // The line says what to do, as the dead letter does.
    expect(JSON.parse(line ?? "{}")).toMatchObject({ reason: kept!.reason });
    expect(await first.stop()).toBe(0);

    await startTracked(parts.daemons, {
      natsUrl: parts.nats.url,
      dir: parts.dir,
      args: ["--max-event-size", "256KiB"],
    });
    const replay = await runCli(["dlq", "replay", String(kept!.id), "--nats", parts.nats.url]);
    expect(replay.code).toBe(0);
    await waitFor(() => deliveredEvents(parts.receiver).has(big.id), {
      what: "the replayed event",
    });
    const delivered = parts.receiver.requests.find((r) => r.body.includes(big.id))!;
    expect(JSON.parse(delivered.body)).toMatchObject({ name: big.data.user.name });
    expect(await deadLetters()).toEqual([]);
  }, 60_000);
});
