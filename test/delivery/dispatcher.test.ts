import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { randomUUID } from "node:crypto";
import type { JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ListedDeadLetter } from "../../src/delivery/records.js";
import { Dispatcher } from "../../src/delivery/dispatcher.js";
import { AttemptAbortedError, type DurableQueue, type Job } from "../../src/delivery/job.js";
import { createEgressPolicy } from "../../src/delivery/egress.js";
import { createLimiter } from "../../src/delivery/concurrency/limiter.js";
import { RequestSlots } from "../../src/delivery/concurrency/request-slots.js";
import { createSender } from "../../src/delivery/send.js";
import { buildSnapshot } from "../../src/delivery/snapshot.js";
import { DeliveryStats } from "../../src/delivery/stats.js";
import { webhookId } from "../../src/delivery/webhook-id.js";
import { createMetrics } from "../../src/http/metrics.js";
import { DELIVERY_STREAM, deliveryFilter } from "../../src/nats/layout.js";
import { ensureHookswitchStreams } from "../../src/nats/streams.js";
import { makeEvent, makeIntegration } from "../support/integration.js";
import { capturingLogger } from "../support/logs.js";
import { realDurableQueue } from "../support/delivery-parts.js";
import { useNatsWithClient } from "../support/nats-server.js";
import { sleep, waitFor } from "../support/wait.js";

/** Requests held by the receivers of a test: now, at most, and each one's timestamp. */
interface Held {
  now: number;
  most: number;
  timestamps: number[];
}

let nc: NatsConnection;
let jsm: JetStreamManager;
useNatsWithClient("dispatcher-test", (started) => ({ nc, jsm } = started));
beforeAll(() => ensureHookswitchStreams(jsm));

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

/**
 * The daemon's durable queue on NATS, under a deployment name of each test's own; reads
 * back the dead letters it stored and counts the retries.
 */
function durableQueue() {
  const consumer = `dispatch-${randomUUID().slice(0, 8)}`;
  const { queue, deadLetters: store } = realDurableQueue(nc, jsm, consumer);
  return {
    queue,
    /** Stored once the attempt that made them has ended. */
    deadLetters: async () => {
      const stored: ListedDeadLetter[] = [];
      for await (const letter of store.read()) stored.push(letter);
      return stored;
    },
    retries: async () => {
      const info = await jsm.streams.info(DELIVERY_STREAM, {
        subjects_filter: deliveryFilter(consumer),
      });
      return Object.values(info.state.subjects ?? {}).reduce((sum, n) => sum + n, 0);
    },
  };
}

/** A receiver on 127.0.0.1 that answers 200 after `delayMs`, or when `answerAll` is called. */
async function receiver(held: Held, delayMs?: number) {
  const answers: (() => void)[] = [];
  const server = createServer((req, res) => {
    held.most = Math.max(held.most, ++held.now);
    held.timestamps.push(Number(req.headers["webhook-timestamp"]));
    const answer = () => (held.now--, res.end("ok"));
    if (delayMs === undefined) answers.push(answer);
    else setTimeout(answer, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    answerAll: () => answers.splice(0).forEach((answer) => answer()),
  };
}

function dispatcherWith(
  requests: RequestSlots,
  signal = new AbortController().signal,
  queue: DurableQueue = durableQueue().queue,
  log = pino({ level: "silent" }),
) {
  const sender = createSender({
    egress: createEgressPolicy({ deny: [], allow: [] }),
  });
  cleanups.push(() => sender.close());
  const stats = new DeliveryStats();
  const metrics = createMetrics({
    isNatsConnected: () => true,
    natsDisconnections: () => 0,
    isReady: () => true,
    requestsInFlight: () => requests.taken,
    deliveryCounts: () => stats.counts(),
    attemptResults: () => stats.attemptResults(),
  });
  const dispatcher = new Dispatcher({
    sender,
    requests,
    limiter: createLimiter(),
    queue,
    stats,
    metrics,
    log,
    signal,
  });
  return { dispatcher, metrics, stats };
}

/** One event's delivery to the integration `name` at `url`. */
function job(name: string, url: string, eventId: string): Job {
  const integration = makeIntegration({ name, webhook: { url, maxInFlight: 64 } });
  const active = buildSnapshot([integration]).byName.get(name)!;
  return {
    active,
    event: makeEvent({ id: eventId }),
    raw: {},
    webhookId: webhookId(name, eventId),
    attempts: [],
    bytes: 1_000,
  };
}

const eventIds = (n: number) =>
  Array.from({ length: n }, (_, i) => `9b2f4c1e-5a77-4e0f-8d1b-${String(i).padStart(12, "0")}`);

describe("Dispatcher: the cap on requests in flight", () => {
  it("keeps the attempts to every integration together within the cap, serving the rest in turn", async () => {
    const held: Held = { now: 0, most: 0, timestamps: [] };
    const [crm, billing] = [await receiver(held), await receiver(held)];
    const { dispatcher, metrics } = dispatcherWith(new RequestSlots(3));
    // One event's deliveries to two integrations, five events: a fan-out.
    const attempts = eventIds(5).flatMap((id) => [
      dispatcher.attempt(job("crm", crm.url, id)),
      dispatcher.attempt(job("billing", billing.url, id)),
    ]);
    await waitFor(() => held.now === 3, { what: "three requests held" });
    await sleep(100); // room for a fourth to arrive, were it sent
    expect(held.now).toBe(3);
    const gauge = await metrics.registry.getSingleMetricAsString("hookswitch_deliveries_in_flight");
    expect(gauge).toMatch(/^hookswitch_deliveries_in_flight 3$/m);
    const answering = setInterval(() => (crm.answerAll(), billing.answerAll()), 20);
    try {
      expect(await Promise.all(attempts)).toEqual(Array(10).fill("delivered"));
    } finally {
      clearInterval(answering);
    }
    expect(held.most).toBe(3);
  });

  it("renders an attempt when its turn comes, with a fresh timestamp", async () => {
    const held: Held = { now: 0, most: 0, timestamps: [] };
    const slow = await receiver(held, 1_200);
    const { dispatcher } = dispatcherWith(new RequestSlots(1, { maxWaitMs: 5_000 }));
    const [first, second] = eventIds(2).map((id) => dispatcher.attempt(job("crm", slow.url, id)));
    expect(await Promise.all([first, second])).toEqual(["delivered", "delivered"]);
    const [sentFirst, sentSecond] = held.timestamps;
    expect(sentSecond! - sentFirst!).toBeGreaterThanOrEqual(1);
  });

  it("shows a delivery at the time its answer came, not when it was sent", async () => {
    const held: Held = { now: 0, most: 0, timestamps: [] };
    const slow = await receiver(held, 300);
    const { dispatcher, stats } = dispatcherWith(new RequestSlots(1));
    const sentAt = Date.now();
    const [id] = eventIds(1);
    expect(await dispatcher.attempt(job("crm", slow.url, id!))).toBe("delivered");
    const last = stats.get("crm")?.last;
    expect(last?.outcome).toBe("delivered");
    expect(Date.parse(last?.at ?? "")).toBeGreaterThanOrEqual(sentAt + 300);
  });

  it("hands back an attempt still waiting for its turn at shutdown, unsent", async () => {
    const held: Held = { now: 0, most: 0, timestamps: [] };
    const crm = await receiver(held);
    const shutdown = new AbortController();
    const { dispatcher } = dispatcherWith(new RequestSlots(1), shutdown.signal);
    const [running, waiting] = eventIds(2).map((id) => dispatcher.attempt(job("crm", crm.url, id)));
    await waitFor(() => held.now === 1, { what: "the first request held" });
    shutdown.abort(new Error("shutting down"));
    await expect(waiting).rejects.toBeInstanceOf(AttemptAbortedError);
    // The attempt in flight ends with the shutdown too, and is handed back as well.
    await expect(running).rejects.toBeInstanceOf(AttemptAbortedError);
    expect(held.timestamps).toHaveLength(1);
  });
});

describe("Dispatcher: a request that cannot be rendered", () => {
  it("dead-letters that one delivery for good, unsent, and goes on with the others", async () => {
    const held: Held = { now: 0, most: 0, timestamps: [] };
    const crm = await receiver(held, 0);
    const { deadLetters: storedDeadLetters, queue } = durableQueue();
    // One request slot: the crm delivery after it is sent only if the slot came back.
    const slots = new RequestSlots(1);
    const { dispatcher, stats } = dispatcherWith(slots, undefined, queue);
    const [id] = eventIds(1);
    const broken = job("billing", crm.url, id!);
    broken.active = {
      ...broken.active,
      render: () => {
        throw new URIError("URI malformed");
      },
    };

    expect(await dispatcher.attempt(broken)).toBe("dead-lettered");
    expect(slots.taken).toBe(0);
    expect(await dispatcher.attempt(job("crm", crm.url, id!))).toBe("delivered");

    expect(held.timestamps).toHaveLength(1);
    const deadLetters = await storedDeadLetters();
    expect(deadLetters).toHaveLength(1);
    const [letter] = deadLetters;
    expect(letter).toMatchObject({ integration: "billing", eventId: id, lastStatus: null });
    expect(letter?.reason).toMatch(/^RENDER_FAILED: .*URIError: URI malformed.*bug in hookswitch/);
    expect(letter?.attempts).toHaveLength(1);
    expect(letter).not.toHaveProperty("request");
    expect(stats.get("billing")?.last?.outcome).toBe("dead-lettered");
  });
});

describe("Dispatcher: a delivery whose integration's maxAttempts was lowered while it waited", () => {
  it("dead-letters it unsent once it has had as many attempts, keeping them, and sends one that has not", async () => {
    const held: Held = { now: 0, most: 0, timestamps: [] };
    const crm = await receiver(held, 0);
    const { deadLetters: storedDeadLetters, queue } = durableQueue();
    const { dispatcher, stats } = dispatcherWith(new RequestSlots(4), undefined, queue);
    const [first, second] = eventIds(2);
    const retry = { maxAttempts: 2, initialDelayMs: 1_000, maxDelayMs: 60_000 };
    const integration = makeIntegration({ name: "crm", webhook: { url: crm.url, retry } });
    const active = buildSnapshot([integration]).byName.get("crm")!;
    const lowered = (eventId: string, attempts: Job["attempts"]): Job => ({
      ...job("crm", crm.url, eventId),
      active,
      attempts,
    });
    const tried = [
      { at: "2026-12-01T05:21:54.000Z", status: 503 },
      { at: "2026-12-01T05:21:57.000Z", error: "connection refused" },
    ];

    expect(await dispatcher.attempt(lowered(first!, tried))).toBe("dead-lettered");
    expect(await dispatcher.attempt(lowered(second!, tried.slice(0, 1)))).toBe("delivered");

    expect(held.timestamps).toHaveLength(1);
    const deadLetters = await storedDeadLetters();
    expect(deadLetters).toEqual([
      expect.objectContaining({
        integration: "crm",
        eventId: first,
        reason:
          "gave up after 2 attempts: connection refused (maxAttempts was lowered to 2 while it waited)",
        attempts: tried,
        lastStatus: null,
        lastError: "connection refused",
        firstAttemptAt: tried[0]!.at,
        lastAttemptAt: tried[1]!.at,
      }),
    ]);
    expect(stats.get("crm")?.counts).toMatchObject({ "dead-lettered": 1, delivered: 1 });
  });
});

describe("Dispatcher: an event that leaves a path argument empty", () => {
  it("dead-letters that delivery unsent, saying which argument and field, and sends the others", async () => {
    const held: Held = { now: 0, most: 0, timestamps: [] };
    const crm = await receiver(held, 0);
    const { deadLetters: storedDeadLetters, queue } = durableQueue();
    const { log, lines } = capturingLogger();
    const { dispatcher, stats } = dispatcherWith(new RequestSlots(4), undefined, queue, log);
    const [id] = eventIds(1);
    const noNumber = makeEvent({ id: id!, user: { extension: "201", outboundNumber: null } });
    const withPath = (name: string, pathArguments: string[]): Job => {
      const integration = makeIntegration({ name, webhook: { url: crm.url, pathArguments } });
      const active = buildSnapshot([integration]).byName.get(name)!;
      return {
        active,
        event: noNumber,
        raw: {},
        webhookId: webhookId(name, id!),
        attempts: [],
        bytes: 1_000,
      };
    };

    expect(await dispatcher.attempt(withPath("by-number", ["{outboundPhoneNumber}"]))).toBe(
      "dead-lettered",
    );
    expect(await dispatcher.attempt(withPath("by-ext", ["ext-{extensionNumber}"]))).toBe(
      "delivered",
    );

    expect(held.timestamps).toHaveLength(1);
    const deadLetters = await storedDeadLetters();
    expect(deadLetters).toHaveLength(1);
    const [letter] = deadLetters;
    expect(letter).toMatchObject({ integration: "by-number", eventId: id, lastStatus: null });
    expect(letter?.reason).toBe(
      'EMPTY_PATH_ARGUMENT: not sent: webhook.pathArguments[0] "{outboundPhoneNumber}" is empty ' +
        "for this event, which has no outboundPhoneNumber (data.user.outboundNumber), and a " +
        "request with an empty path segment would go to another URL; if such events are to be " +
        "sent, change webhook.pathArguments, then replay the dead letter",
    );
    expect(letter?.attempts).toHaveLength(1);
    expect(letter).not.toHaveProperty("request");
    expect(stats.get("by-number")?.last?.outcome).toBe("dead-lettered");
    // No receiver failed: the dead letter's own warning says why, and nothing else is logged.
    expect(lines.map((line) => [line.msg, line.integration])).toEqual([
      ["delivery dead-lettered", "by-number"],
    ]);
  });
});

describe("Dispatcher: logging a failing receiver", () => {
  it("warns when an integration's webhooks start failing and says when one is delivered again", async () => {
    const answers = [500, 503, 200, 500];
    const server = createServer((_req, res) => {
      res.statusCode = answers.shift() ?? 200;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const lines: { level: number; msg: string }[] = [];
    const log = pino(
      { level: "info" },
      { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) },
    );
    const { queue, retries } = durableQueue();
    const { dispatcher } = dispatcherWith(new RequestSlots(1), undefined, queue, log);

    const results = [];
    for (const id of eventIds(4)) results.push(await dispatcher.attempt(job("crm", url, id)));

    expect(results).toEqual(["retried", "retried", "delivered", "retried"]);
    expect(await retries()).toBe(3);
    // The failure after the delivery comes within a minute of the warning: not logged.
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [
        40,
        "webhooks to crm are failing (HTTP 500); warned of again at most once a minute while they fail, and said once one is delivered",
      ],
      [30, "webhooks to crm are delivered again"],
    ]);
  });
});

describe("Dispatcher: logging a dead letter", () => {
  it("logs the start of an event id of 100,000 characters, not all of it", async () => {
    const server = createServer((_req, res) => {
      res.statusCode = 400;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const { log, lines } = capturingLogger();
    const { queue, deadLetters } = durableQueue();
    const { dispatcher } = dispatcherWith(new RequestSlots(1), undefined, queue, log);
    const longId = `${"L".repeat(100_000)}-end`;

    expect(await dispatcher.attempt(job("crm", url, longId))).toBe("dead-lettered");

    const warning = lines.find((line) => line.msg === "delivery dead-lettered");
    expect(warning?.eventId).toBe(`${"L".repeat(200)}… (100004 characters)`);
    expect(await deadLetters()).toHaveLength(1);
  });
});
