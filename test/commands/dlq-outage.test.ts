/**
 * `hookswitch dlq` when the NATS connection is lost in the middle of a listing: it says so,
 * waits a while for NATS, and then either goes on or stops with exit 1, never in silence.
 */
import { spawn } from "node:child_process";
import type { JetStreamManager } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import type { DeadLetterStore } from "../../src/delivery/dead-letters.js";
import type { DeadLetterRecord, ListedDeadLetter } from "../../src/delivery/records.js";
import { DEAD_LETTER_STREAM } from "../../src/nats/layout.js";
import { outageChange } from "../../src/nats/outage-limit.js";
import { CLI, REPO } from "../support/cli.js";
import { useDeadLetterQueue } from "../support/dead-letters.js";
import type { NatsServer } from "../support/nats-server.js";
import { sleep, waitFor } from "../support/wait.js";

let server: NatsServer;
let jsm: JetStreamManager;
let store: DeadLetterStore;
let serial = 0;

useDeadLetterQueue("dlq-outage-test", (queue) => ({ server, jsm, store } = queue));

let natsDown = false;

async function takeNatsAway(): Promise<void> {
  natsDown = true;
  await server.stop();
}

/** Starts the server again, and waits until the tests' own client reads its streams. */
async function bringNatsBack(): Promise<void> {
  if (natsDown) await server.start();
  natsDown = false;
  await waitFor(() => jsm.streams.info(DEAD_LETTER_STREAM).then(Boolean, () => false), {
    timeoutMs: 20_000,
    what: "JetStream back for the tests' client",
  });
}

/** A dead letter of 500 KB: a few fill the pipe, so the listing waits for its reader. */
function bigDeadLetter(): DeadLetterRecord {
  serial++;
  const at = "2026-12-02T12:00:00.000Z";
  return {
    v: 1,
    integration: "crm",
    webhookId: `msg_outage_${serial}`,
    eventId: `event-${serial}`,
    reason: "HTTP 410 Gone is not retried",
    event: { id: `event-${serial}`, note: "x".repeat(500_000) },
    attempts: [{ at, status: 410 }],
    lastStatus: 410,
    lastError: null,
    lastResponseBody: "gone",
    firstAttemptAt: at,
    lastAttemptAt: at,
    deadAt: at,
  };
}

/**
 * `dlq list --json` whose reader takes nothing until `read()`: the listing is then under way,
 * its output waiting for the pipe, when the test takes NATS away.
 */
function pausedListing() {
  const child = spawn(process.execPath, [CLI, "dlq", "list", "--json"], {
    cwd: REPO,
    env: { ...process.env, NATS_URL: server.url },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  return {
    exited,
    read: () => child.stdout.on("data", (c: Buffer) => (stdout += c.toString())),
    stdout: () => stdout,
    stderr: () => stderr,
    kill: () => child.kill("SIGKILL"),
  };
}

async function listingUnderWay(count: number) {
  for (let i = 0; i < count; i++) await store.add(bigDeadLetter());
  const list = pausedListing();
  // Connected and reading: its consumer of the queue has been handed records. A fixed pause
  // was too short where the machine is busy, and the command had not yet reached NATS.
  await waitFor(
    async () => {
      for await (const consumer of jsm.consumers.list(DEAD_LETTER_STREAM)) {
        if (consumer.delivered.stream_seq > 0) return true;
      }
      return false;
    },
    { timeoutMs: 20_000, what: "the listing's first records read" },
  );
  await sleep(500); // its first records written into the pipe
  return list;
}

describe("hookswitch dlq list when the NATS connection is lost", () => {
  it("goes on once NATS is back within the wait, listing every record once", async () => {
    const list = await listingUnderWay(20);
    try {
      await takeNatsAway();
      await waitFor(() => list.stderr().includes("connection was lost"), {
        what: "the note that the connection is lost",
      });
      await bringNatsBack();
      list.read();
      expect(await list.exited).toBe(0);
      const listed = JSON.parse(list.stdout()) as ListedDeadLetter[];
      expect(new Set(listed.map((r) => r.webhookId)).size).toBe(20);
      expect(listed).toHaveLength(20);
    } finally {
      list.kill();
      await bringNatsBack();
    }
  }, 60_000);

  it("stops with exit 1 and says why when NATS is not back within 10 s", async () => {
    const list = await listingUnderWay(20);
    try {
      const lostAt = Date.now();
      await takeNatsAway();
      list.read();
      expect(await list.exited).toBe(1);
      const waitedMs = Date.now() - lostAt;
      expect(list.stderr()).toContain(
        "note: the NATS connection was lost; waiting up to 10 s for it to come back",
      );
      expect(list.stderr()).toContain(
        "hookswitch: the NATS connection was lost and not back within 10 s",
      );
      expect(list.stderr()).not.toMatch(/\n\s+at /); // no stack trace
      expect(waitedMs).toBeGreaterThanOrEqual(9_000);
      // The array is left unclosed: nobody takes part of the queue for all of it.
      expect(() => JSON.parse(list.stdout()) as unknown).toThrow();
    } finally {
      list.kill();
      await bringNatsBack();
    }
  }, 60_000);
});

describe("the status changes that start and end an outage", () => {
  it.each([
    ["disconnect", "lost"],
    ["staleConnection", "lost"],
    ["reconnect", "back"],
    ["reconnecting", undefined],
    ["ping", undefined],
    ["error", undefined],
    ["close", undefined],
  ] as const)("reads %s as %s", (type, change) => {
    expect(outageChange({ type })).toBe(change);
  });
});
