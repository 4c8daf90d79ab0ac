/**
 * A publisher that starts sending a format hookswitch does not know (a PBX upgrade): every
 * such message is dead-lettered once and acknowledged, the valid events among them are
 * delivered, and the log shows the first few in full and counts the rest in one line.
 */
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { DEAD_LETTER_STREAM } from "../../src/nats/layout.js";
import { eventSubject } from "../../src/events/sample.js";
import { tellsBatchCompleted } from "../../src/nats/server-version.js";
import { natsServerVersion } from "../support/nats-server.js";
import {
  makeEvent,
  startTracked,
  tempDir,
  webhookIds,
  writeIntegration,
} from "../support/daemon.js";
import { useRealParts } from "../support/real-parts.js";
import { waitFor } from "../support/wait.js";

const INVALID = 3_000;
const LARGE = 20;
/** One valid event after every this many invalid ones. */
const VALID_EVERY = 60;
const FULL_LINES = 10;

describe("hookswitch run under a flood of invalid events", () => {
  const parts = useRealParts();

  it("dead-letters each once, acknowledges them all, delivers the valid ones and logs a few lines", async () => {
    const dir = tempDir();
    parts.cleanups.push(() => dir.cleanup());
    writeIntegration(dir.path, "crm", { url: `${parts.receiver.url}/crm` });
    const daemon = await startTracked(parts.daemons, {
      natsUrl: parts.nats.url,
      dir: dir.path,
      env: { LOG_LEVEL: "info" },
    });

    const js = jetstream(parts.publisher.nc);
    const subject = "pbx.acme.mycloudpbx.x.user.created";
    // Each invalid message is its own: the stream's duplicate window must not drop any.
    const publishes: Promise<unknown>[] = [];
    let valid = 0;
    for (let i = 0; i < INVALID; i++) {
      const body =
        i < LARGE
          ? JSON.stringify({ version: 2, n: i, padding: "x".repeat(200 * 1024) })
          : JSON.stringify({ version: 2, n: i, user: { ext: "201" } });
      publishes.push(js.publish(subject, body));
      if (i % VALID_EVERY === 0) {
        const event = makeEvent();
        publishes.push(js.publish(eventSubject(event), JSON.stringify(event)));
        valid++;
      }
      if (publishes.length >= 256) await Promise.all(publishes.splice(0));
    }
    await Promise.all(publishes);

    const jsm = await jetstreamManager(parts.publisher.nc);
    await waitFor(
      async () => {
        const consumer = await jsm.consumers.info("PBX_EVENTS", "hookswitch");
        return consumer.num_pending === 0 && consumer.num_ack_pending === 0;
      },
      { timeoutMs: 60_000, intervalMs: 250, what: "every message acknowledged" },
    );
    await waitFor(() => webhookIds(parts.receiver.requests).size === valid, {
      timeoutMs: 20_000,
      what: "every valid event delivered",
    });

    // Once each: the id of each dead letter names its message, and none is there twice.
    const ids = await deadLetterIds(parts.publisher.nc, INVALID);
    expect(ids.size).toBe(INVALID);
    expect((await jsm.streams.info(DEAD_LETTER_STREAM)).state.messages).toBe(INVALID);
    const metrics = await (await fetch(`${daemon.http}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`^hookswitch_events_invalid_total ${INVALID}$`, "m"));
    expect(metrics).toMatch(
      new RegExp(`^hookswitch_events_received_total ${INVALID + valid}$`, "m"),
    );

    expect(await daemon.stop()).toBe(0);
    const lines = daemon
      .output()
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const full = lines.filter((line) => line.msg === "invalid event dead-lettered");
    expect(full).toHaveLength(FULL_LINES);
    expect(full[0]).toMatchObject({ level: "warn", subject });
    expect(full[0]!.reason).toMatch(/is missing/);
    // Told at the stop, within the minute.
    const counted = lines.filter((line) => "notLogged" in line);
    expect(counted).toMatchObject([{ level: "warn", notLogged: INVALID - FULL_LINES }]);
    // 200 KB messages, 256 asked for at once, could fill nats-server's 64 MiB: told once
    // where pulls are bounded by count (pull-size.ts), not where they are by bytes.
    const large = lines.filter((line) => String(line.msg).includes("came from PBX_EVENTS"));
    if (tellsBatchCompleted(natsServerVersion())) {
      expect(large).toEqual([]);
    } else {
      expect(large).toMatchObject([{ level: "warn", consumer: "hookswitch" }]);
      expect(large[0]!.msg).toMatch(/--max-in-flight 27 or less/);
    }
  }, 120_000);
});

/** The message ids of the dead letters, read through an ordered consumer (bounded). */
async function deadLetterIds(
  nc: Parameters<typeof jetstream>[0],
  expected: number,
): Promise<Set<string>> {
  const consumer = await jetstream(nc).consumers.get(DEAD_LETTER_STREAM);
  const ids = new Set<string>();
  let read = 0;
  for (let round = 0; round < 100 && read < expected; round++) {
    const batch = await consumer.fetch({ max_messages: 500, expires: 2_000 });
    for await (const msg of batch) {
      read++;
      ids.add(msg.headers?.get("Nats-Msg-Id") ?? "");
    }
  }
  expect(read).toBe(expected);
  return ids;
}
