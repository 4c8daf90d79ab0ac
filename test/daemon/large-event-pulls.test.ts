/**
 * A backlog of events near NATS's largest message. Pulled by bytes (nats-server 2.10 and later,
 * `--max-in-flight` 25 or more), they never queue more at once than the server lets a
 * connection hold, so the daemon is not cut off as a slow consumer. Pulled by count, no more of
 * them are asked for at once than that share holds at `--max-event-size`, and the daemon warns
 * at the first one larger.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { DEAD_LETTER_STREAM } from "../../src/nats/layout.js";
import { PULL_BYTES } from "../../src/nats/pull-size.js";
import { tellsBatchCompleted } from "../../src/nats/server-version.js";
import {
  connectPublisher,
  deliveredEvents,
  makeEvent,
  startTracked,
  type RunningDaemon,
} from "../support/daemon.js";
import { natsServerVersion } from "../support/nats-server.js";
import { useFreshParts } from "../support/real-parts.js";
import { waitFor } from "../support/wait.js";

const serverVersion = natsServerVersion();

/** 80 of them at once are more than nats-server's default max_pending (64 MiB). */
const LARGE_EVENTS = 80;
const LARGE_BYTES = 950_000;
const SMALL_EVENTS = 20;

/** How the daemon's "is running" line says its pulls are bounded. */
/**
 * The pull the daemon's "is running" line names. It is ready before that line is logged
 * (parked deliveries are looked for and the dead letters counted between), so deliveries may
 * be done before it: wait for it.
 */
async function runningPull(daemon: RunningDaemon): Promise<unknown> {
  return waitFor(() => loggedPull(daemon), { what: 'the "is running" line' });
}

function loggedPull(daemon: RunningDaemon): unknown {
  const line = daemon
    .output()
    .split("\n")
    .find((text) => text.includes(" is running: "));
  return line === undefined ? undefined : (JSON.parse(line) as { pull?: unknown }).pull;
}

describe("a backlog of events near NATS's largest message", () => {
  const parts = useFreshParts("crm");

  /** The daemon's streams and consumer exist, then the backlog is published while none runs. */
  async function publishBacklog(large: number) {
    const first = await startTracked(parts.daemons, { natsUrl: parts.nats.url, dir: parts.dir });
    expect(await first.stop()).toBe(0);
    const publisher = await connectPublisher(parts.nats.url);
    const small = Array.from({ length: SMALL_EVENTS }, () => makeEvent());
    for (let i = 0; i < Math.max(large, SMALL_EVENTS); i++) {
      if (i < large) await publisher.publish(makeEvent({ name: "L".repeat(LARGE_BYTES) }));
      const next = small[i];
      if (next) await publisher.publish(next);
    }
    await publisher.close();
    return small.map((event) => event.id);
  }

  async function deadLetterCount(): Promise<number> {
    const nc = await connect({ servers: parts.nats.url });
    try {
      return (await (await jetstreamManager(nc)).streams.info(DEAD_LETTER_STREAM)).state.messages;
    } finally {
      await nc.close();
    }
  }

  it.runIf(tellsBatchCompleted(serverVersion))(
    `is pulled by bytes: no slow-consumer disconnection, each large one dead-lettered once (nats-server ${serverVersion})`,
    async () => {
      const small = await publishBacklog(LARGE_EVENTS);
      const daemon = await startTracked(parts.daemons, { natsUrl: parts.nats.url, dir: parts.dir });
      await waitFor(async () => (await deadLetterCount()) === LARGE_EVENTS, {
        timeoutMs: 30_000,
        what: `${LARGE_EVENTS} large events dead-lettered`,
      });
      await waitFor(() => small.every((id) => deliveredEvents(parts.receiver).has(id)), {
        what: "the small events",
      });
      expect(await runningPull(daemon)).toEqual({ bytes: PULL_BYTES });
      expect(daemon.output()).not.toContain("NATS connection: disconnect");
      expect(daemon.output()).not.toContain("hookswitch asks for");
      expect(await daemon.stop()).toBe(0);
      expect(await deadLetterCount()).toBe(LARGE_EVENTS);
    },
    60_000,
  );

  it("is pulled by count below --max-in-flight 25 no more at once than max_pending holds, when --max-event-size lets them through", async () => {
    const small = await publishBacklog(LARGE_EVENTS);
    const daemon = await startTracked(parts.daemons, {
      natsUrl: parts.nats.url,
      dir: parts.dir,
      args: ["--max-in-flight", "24", "--max-event-size", "960KiB"],
    });
    // 96 at once by count alone: 91 MB, past the server's 64 MiB for the connection.
    await waitFor(() => deliveredEvents(parts.receiver).size === LARGE_EVENTS + SMALL_EVENTS, {
      timeoutMs: 45_000,
      what: `${LARGE_EVENTS} large events and the small ones delivered`,
    });
    expect(small.every((id) => deliveredEvents(parts.receiver).has(id))).toBe(true);
    expect(await runningPull(daemon)).toEqual({ messages: Math.floor(PULL_BYTES / (976 * 1024)) });
    expect(daemon.output()).not.toContain("NATS connection: disconnect");
    expect(daemon.output()).not.toContain("hookswitch asks for");
    expect(await daemon.stop()).toBe(0);
    expect(await deadLetterCount()).toBe(0);
  }, 60_000);

  it("is pulled by count below --max-in-flight 25, and the first large event warns of it once", async () => {
    const small = await publishBacklog(2);
    const daemon = await startTracked(parts.daemons, {
      natsUrl: parts.nats.url,
      dir: parts.dir,
      args: ["--max-in-flight", "8"],
    });
    await waitFor(async () => (await deadLetterCount()) === 2, { what: "the large events" });
    await waitFor(() => small.every((id) => deliveredEvents(parts.receiver).has(id)), {
      what: "the small events",
    });
    expect(await runningPull(daemon)).toEqual({ messages: 32 });
    const warnings = daemon.output().match(/hookswitch asks for 32 messages at once/g) ?? [];
    expect(warnings).toHaveLength(1);
    expect(daemon.output()).toContain("from nats-server 2.10 on, with --max-in-flight 25 or more");
  });
});
