/**
 * `hookswitch dlq` on a queue of big dead letters, run by the built CLI in a 64 MB heap: a
 * listing or a replay holds a few records at a time, whatever the queue holds.
 */
import { spawn } from "node:child_process";
import type { JetStreamManager } from "@nats-io/jetstream";
import { beforeEach, describe, expect, it } from "vitest";
import type { DeadLetterStore } from "../../src/delivery/dead-letters.js";
import {
  type DeadLetterRecord,
  type DeliveryRecord,
  type ListedDeadLetter,
} from "../../src/delivery/records.js";
import { DEAD_LETTER_STREAM, DELIVERY_STREAM } from "../../src/nats/layout.js";
import { CLI, REPO, runCli } from "../support/cli.js";
import type { NatsServer } from "../support/nats-server.js";
import { useDeadLetterQueue } from "../support/dead-letters.js";
import { sleep, waitFor } from "../support/wait.js";

const EVENT_CHARS = 900_000;
const TIGHT_HEAP = { NODE_OPTIONS: "--max-old-space-size=64" };

let server: NatsServer;
let jsm: JetStreamManager;
let store: DeadLetterStore;
let serial = 0;

useDeadLetterQueue("dlq-bounded-test", (queue) => {
  ({ server, jsm, store } = queue);
});

beforeEach(() => {
  serial++;
});

/**
 * A delivery that gave up, holding an event of 900 KB (its number at the end of its text).
 * Each test's webhook-ids are its own: the store would take a record again as a republish.
 */
function bigDeadLetter(n: number): DeadLetterRecord {
  const id = `event-${n}`;
  return {
    v: 1,
    integration: "crm",
    webhookId: `msg_${serial}_${n}`,
    eventId: id,
    reason: "HTTP 410 Gone is not retried",
    event: { id, type: "user.created", note: `${"x".repeat(EVENT_CHARS)}${n}` },
    attempts: [{ at: "2026-11-28T17:00:00.000Z", status: 410 }],
    lastStatus: 410,
    lastError: null,
    lastResponseBody: "gone",
    firstAttemptAt: "2026-11-28T17:00:00.000Z",
    lastAttemptAt: "2026-11-28T17:00:00.000Z",
    deadAt: "2026-11-28T17:00:00.100Z",
  };
}

/** Stores `count` big dead letters, a few at a time; resolves with their ids. */
async function addBig(count: number): Promise<number[]> {
  const ids: number[] = [];
  for (let n = 0; n < count; n += 10) {
    const batch = Array.from({ length: Math.min(10, count - n) }, (_, i) => bigDeadLetter(n + i));
    ids.push(...(await Promise.all(batch.map((record) => store.add(record)))));
  }
  return ids;
}

const dlq = (args: string[], env: Record<string, string> = {}, timeoutMs = 60_000) =>
  runCli(["dlq", ...args], { env: { NATS_URL: server.url, ...env }, timeoutMs });

/** 72 MB of events: more than the heap holds at once. */
const BIG_QUEUE = 80;

describe(`hookswitch dlq in a 64 MB heap, on ${BIG_QUEUE} dead letters of 900 KB`, () => {
  it("lists them as one JSON array, each record once and whole", async () => {
    const ids = await addBig(BIG_QUEUE);
    const result = await dlq(["list", "--json"], TIGHT_HEAP);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const listed = JSON.parse(result.stdout) as ListedDeadLetter[];
    expect(listed.map((r) => r.id)).toEqual(ids);
    listed.forEach((record, n) => {
      expect(record).toEqual({ ...bigDeadLetter(n), id: ids[n] });
    });
  }, 90_000);

  it("replays them all, each once, and removes each", async () => {
    const ids = await addBig(BIG_QUEUE);
    const result = await dlq(["replay", "--all"], TIGHT_HEAP);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`replayed ${BIG_QUEUE} dead letters\n`);
    expect(await store.count()).toBe(0);
    const replayed: string[] = [];
    const { first_seq, last_seq } = (await jsm.streams.info(DELIVERY_STREAM)).state;
    for (let seq = first_seq; seq <= last_seq; seq++) {
      const stored = await jsm.streams.getMessage(DELIVERY_STREAM, { seq });
      const delivery = stored?.json<DeliveryRecord>();
      if (delivery) replayed.push(delivery.webhookId);
    }
    expect(replayed).toEqual(ids.map((_, n) => bigDeadLetter(n).webhookId));
  }, 90_000);
});

/** `hookswitch dlq list --json` with its standard output piped to the test, which reads it later. */
function listInto() {
  const child = spawn(process.execPath, [CLI, "dlq", "list", "--json"], {
    cwd: REPO,
    env: { ...process.env, NATS_URL: server.url, ...TIGHT_HEAP },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error("dlq list --json did not finish in 25 s"));
    }, 25_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
  return { child, exited, stderr: () => stderr };
}

describe("hookswitch dlq list --json into a pipe", () => {
  it("ends quietly, exit 0, when the reader goes away after 100 bytes (| head -c 100)", async () => {
    await addBig(20);
    const list = listInto();
    let taken = 0;
    list.child.stdout.on("data", (c: Buffer) => {
      taken += c.length;
      if (taken >= 100) list.child.stdout.destroy();
    });
    try {
      expect(await list.exited).toBe(0);
      expect(list.stderr()).toBe("");
    } finally {
      list.child.kill("SIGKILL");
    }
  }, 30_000);

  it("lists every record once when its reader paused so long that NATS removed its consumer", async () => {
    const ids = await addBig(30);
    const list = listInto();
    try {
      // The reader takes nothing: the listing waits with its consumer idle, which NATS
      // removes after 5 minutes (removed here at once).
      const idle = await waitFor(
        async () => {
          for await (const c of jsm.consumers.list(DEAD_LETTER_STREAM)) return c.name;
          return undefined;
        },
        { timeoutMs: 10_000, what: "the listing's consumer" },
      );
      await sleep(500);
      await jsm.consumers.delete(DEAD_LETTER_STREAM, idle);
      let stdout = "";
      list.child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
      expect(await list.exited).toBe(0);
      expect(list.stderr()).toBe("");
      expect((JSON.parse(stdout) as ListedDeadLetter[]).map((r) => r.id)).toEqual(ids);
    } finally {
      list.child.kill("SIGKILL");
    }
  }, 30_000);
});
