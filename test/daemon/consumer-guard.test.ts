/**
 * An operator editing the shared durable consumer while the daemon runs: the change is
 * logged once, naming each field, and hookswitch's settings come back; a changed filter by
 * creating the consumer again where it stood, so that the events it passed by arrive.
 */
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect, nanos, type NatsConnection } from "@nats-io/transport-node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bookmarkName } from "../../src/nats/consumer-bookmark.js";
import { DELIVERY_STREAM } from "../../src/nats/layout.js";
import { consumerInfoOrNull, deliveryConsumerName } from "../../src/nats/durable-consumers.js";
import { DEFAULT_CONSUMER, DEFAULT_STREAM } from "../../src/nats/settings.js";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { startReceiver, type Receiver } from "../support/receiver.js";
import {
  killLeftOver,
  publishEvents,
  startTracked,
  tempDir,
  webhookIds,
  writeIntegration,
  type RunningDaemon,
  readiness,
} from "../support/daemon.js";
import { sleep, waitFor } from "../support/wait.js";

/** Answers each webhook-id's first attempt 503, the next ones 200. */
function failFirstAttempts(receiver: Receiver): void {
  const tried = new Set<unknown>();
  receiver.respond((req) => {
    const id = req.headers["webhook-id"];
    if (tried.has(id)) return { status: 200 };
    tried.add(id);
    return { status: 503 };
  });
}

describe("hookswitch run when an operator edits its consumer", () => {
  let nats: NatsServer;
  let receiver: Receiver;
  let dir: ReturnType<typeof tempDir>;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const daemons: RunningDaemon[] = [];

  beforeEach(async () => {
    nats = await startNatsServer();
    receiver = await startReceiver();
    dir = tempDir();
    writeIntegration(dir.path, "ledger", { url: `${receiver.url}/ledger` });
    nc = await connect({ servers: nats.url });
    jsm = await jetstreamManager(nc);
  });
  afterEach(async () => {
    await killLeftOver(daemons);
    await nc.close();
    await receiver.close();
    await nats.dispose();
    dir.cleanup();
  });

  it("creates the consumer again where it stood when its filter is changed, so no event is passed by", async () => {
    // The test daemon runs with --ack-wait 3s and no filter (its stream carries only pbx.>).
    const d = await startTracked(daemons, { natsUrl: nats.url, dir: dir.path });
    await publishEvents(nats.url, 5);
    await waitFor(() => webhookIds(receiver.requests).size >= 5, { what: "the first events" });
    // A reading of the consumer (every 5 s) before the change: where it stood.
    await sleep(5_500);

    await jsm.consumers.update(DEFAULT_STREAM, DEFAULT_CONSUMER, {
      filter_subject: "pbx.nothing.>",
      ack_wait: nanos(2_000),
    });
    // Published while the filter passes them by.
    await publishEvents(nats.url, 20);
    await waitFor(() => webhookIds(receiver.requests).size >= 25, {
      timeoutMs: 30_000,
      what: "the events published while the filter was changed",
    });
    const { config } = await jsm.consumers.info(DEFAULT_STREAM, DEFAULT_CONSUMER);
    expect(config.filter_subject ?? "").toBe("");
    expect(config.ack_wait).toBe(nanos(3_000));
    expect(d.output()).toMatch(
      /"level":"warn".*consumer hookswitch on stream PBX_EVENTS is not as this hookswitch sets it \(changed by an operator, or by another hookswitch with other --ack-wait or --subjects\): ack_wait is 2s where it sets 3s, filter_subject is pbx.nothing.> where it sets \(none\); creating it again where it stood before the change/,
    );
    // Its own deletion of the consumer is no outage to look for.
    expect(d.output()).not.toMatch(/NATS restarted without its storage/);
    await waitFor(async () => (await readiness(d)).status === 200, {
      timeoutMs: 20_000,
      what: "ready again",
    });
  }, 90_000);

  it("still starts the consumer where it stood before the filter change when putting it back failed at first", async () => {
    const d = await startTracked(daemons, { natsUrl: nats.url, dir: dir.path });
    await publishEvents(nats.url, 5);
    await waitFor(() => webhookIds(receiver.requests).size >= 5, { what: "the first events" });
    await sleep(5_500); // a reading of the consumer: where it stood
    // A consumer of the bookmark's name that hookswitch did not write: the bookmark cannot be
    // written, so the filter is not put back until it goes.
    await jsm.consumers.add(DEFAULT_STREAM, { durable_name: bookmarkName(DEFAULT_CONSUMER) });
    await jsm.consumers.update(DEFAULT_STREAM, DEFAULT_CONSUMER, {
      filter_subject: "pbx.nothing.>",
    });
    await publishEvents(nats.url, 20); // passed by while the filter was changed
    // Two failed tries, each a reading that moves on where the consumer stands.
    await waitFor(
      () => (d.output().match(/cannot put the settings of consumer/g) ?? []).length >= 2,
      {
        timeoutMs: 20_000,
        what: "two failed tries to put the filter back",
      },
    );
    await jsm.consumers.delete(DEFAULT_STREAM, bookmarkName(DEFAULT_CONSUMER));
    await waitFor(() => webhookIds(receiver.requests).size >= 25, {
      timeoutMs: 30_000,
      what: "the events published while the filter was changed",
    });
  }, 90_000);

  it("loses no event when killed between deleting the consumer to restore its filter and creating it again", async () => {
    const first = await startTracked(daemons, { natsUrl: nats.url, dir: dir.path });
    await publishEvents(nats.url, 5);
    await waitFor(() => webhookIds(receiver.requests).size >= 5, { what: "the first events" });
    await sleep(5_500); // a reading of the consumer: where it stood
    // Killed the moment its guard has deleted the consumer, before the recovery creates it.
    nc.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.DELETED.${DEFAULT_STREAM}.${DEFAULT_CONSUMER}`, {
      max: 1,
      callback: () => {
        first.child.kill("SIGKILL");
      },
    });
    await nc.flush();
    await jsm.consumers.update(DEFAULT_STREAM, DEFAULT_CONSUMER, {
      filter_subject: "pbx.nothing.>",
    });
    await publishEvents(nats.url, 10); // passed by while the filter was changed
    await first.exited;
    expect(await consumerInfoOrNull(jsm, DEFAULT_STREAM, DEFAULT_CONSUMER)).toBeNull();
    await publishEvents(nats.url, 5); // while no consumer and no daemon

    // --deliver new, as in production: without the start kept on NATS it would begin here.
    const second = await startTracked(daemons, { natsUrl: nats.url, dir: dir.path });
    await publishEvents(nats.url, 5);
    await waitFor(() => webhookIds(receiver.requests).size >= 25, {
      timeoutMs: 20_000,
      what: "every event published from the filter change on",
    });
    expect(second.output()).toMatch(
      /was deleted by a hookswitch to change its filter and not created again/,
    );
    const consumers: string[] = [];
    for await (const info of jsm.consumers.list(DEFAULT_STREAM)) consumers.push(info.name);
    expect(consumers).toEqual([DEFAULT_CONSUMER]);
  }, 90_000);

  it("puts a changed ack wait back, logged once", async () => {
    const d = await startTracked(daemons, { natsUrl: nats.url, dir: dir.path });
    await publishEvents(nats.url, 5);
    await waitFor(() => webhookIds(receiver.requests).size >= 5, { what: "the first events" });

    await jsm.consumers.update(DEFAULT_STREAM, DEFAULT_CONSUMER, { ack_wait: nanos(2_000) });
    await waitFor(
      async () => {
        const { config } = await jsm.consumers.info(DEFAULT_STREAM, DEFAULT_CONSUMER);
        return config.ack_wait === nanos(3_000);
      },
      { timeoutMs: 15_000, intervalMs: 200, what: "the ack wait put back" },
    );
    expect(d.output()).toMatch(
      /"level":"warn".*consumer hookswitch on stream PBX_EVENTS is not as this hookswitch sets it \(.*\): ack_wait is 2s where it sets 3s; putting hookswitch's settings back/,
    );
    // Once per change: the readings after the restore (every 5 s) say nothing more.
    await sleep(6_000);
    expect(d.output().match(/is not as this hookswitch sets it/g)).toHaveLength(1);
    await publishEvents(nats.url, 5);
    await waitFor(() => webhookIds(receiver.requests).size >= 10, {
      timeoutMs: 15_000,
      what: "the events published after the restore",
    });
  }, 60_000);

  it("delivers every event, none dead-lettered, when its pulls are limited and its messages sent without bodies", async () => {
    const d = await startTracked(daemons, { natsUrl: nats.url, dir: dir.path });
    await publishEvents(nats.url, 5);
    await waitFor(() => webhookIds(receiver.requests).size >= 5, { what: "the first events" });
    // A pull limit below its pulls of 256 has each refused: nothing is read, nothing said.
    await jsm.consumers.update(DEFAULT_STREAM, DEFAULT_CONSUMER, {
      max_batch: 10,
      headers_only: true,
    });
    await publishEvents(nats.url, 10);
    await waitFor(() => webhookIds(receiver.requests).size >= 15, {
      timeoutMs: 30_000,
      what: "the events published while the settings were changed",
    });
    expect(d.output()).toMatch(
      /is not as this hookswitch sets it \(.*\): max_batch is 10 where it sets \(none\), headers_only is true where it sets false; putting hookswitch's settings back/,
    );
    expect(d.output()).not.toMatch(/dead-letter/i);
    const { config } = await jsm.consumers.info(DEFAULT_STREAM, DEFAULT_CONSUMER);
    expect([config.max_batch, config.headers_only]).toEqual([undefined, undefined]);
  }, 60_000);

  it("hands back events and retries sent without their bodies, dead-letters none, and delivers them once headers_only is unset", async () => {
    writeIntegration(dir.path, "ledger", {
      url: `${receiver.url}/ledger`,
      retry: { maxAttempts: 3, initialDelay: "3s", maxDelay: "3s" },
    });
    const d = await startTracked(daemons, { natsUrl: nats.url, dir: dir.path });
    failFirstAttempts(receiver); // each delivery is retried through the delivery consumer
    const deliveries = deliveryConsumerName(DEFAULT_CONSUMER);
    // Set again and again (something keeps setting it), so that the guard's put-backs do not
    // decide what the daemon is sent; then unset, as an operator would.
    const headersOnlyFor = async (
      stream: string,
      consumer: string,
      ms: number,
      during?: () => void,
    ) => {
      for (let i = 0; i * 200 < ms; i++) {
        await jsm.consumers.update(stream, consumer, { headers_only: true });
        if (i === 20) during?.(); // once the pull requests made before have expired (3 s)
        await sleep(200);
      }
      await jsm.consumers.update(stream, consumer, { headers_only: false });
    };
    let events: Promise<unknown> | undefined;
    await headersOnlyFor(DEFAULT_STREAM, DEFAULT_CONSUMER, 6_000, () => {
      events = publishEvents(nats.url, 3);
    });
    await events;
    expect(receiver.requests).toHaveLength(0);
    // The events come again within 5 s, fail once, and are retried 3 s later.
    await headersOnlyFor(DELIVERY_STREAM, deliveries, 14_000);
    expect(receiver.requests).toHaveLength(3);
    await waitFor(() => receiver.requests.length >= 6, {
      timeoutMs: 30_000,
      what: "every event's retry",
    });
    expect(new Set(receiver.requests.map((r) => r.headers["webhook-id"])).size).toBe(3);
    for (const consumer of [DEFAULT_CONSUMER, deliveries]) {
      expect(d.output()).toContain(
        `consumer ${consumer} sends messages without their bodies (headers_only is set on it)`,
      );
    }
    expect(d.output()).not.toMatch(/dead-letter|invalid event|unreadable/i);
  }, 90_000);

  it("puts the delivery consumer's settings back while running, so that retries go on", async () => {
    const d = await startTracked(daemons, { natsUrl: nats.url, dir: dir.path });
    failFirstAttempts(receiver); // each delivery is retried through the delivery consumer
    const deliveries = deliveryConsumerName(DEFAULT_CONSUMER);
    await jsm.consumers.update(DELIVERY_STREAM, deliveries, { max_batch: 10 });
    await sleep(4_000); // its pull request made before has expired (3 s): the next is refused
    await publishEvents(nats.url, 3);
    const retried = () => {
      const attempts = new Map<unknown, number>();
      for (const r of receiver.requests) {
        const id = r.headers["webhook-id"];
        attempts.set(id, (attempts.get(id) ?? 0) + 1);
      }
      return [...attempts.values()].filter((n) => n >= 2).length;
    };
    await waitFor(() => retried() === 3, { timeoutMs: 30_000, what: "every delivery's retry" });
    expect(d.output()).toMatch(
      new RegExp(
        `consumer ${deliveries} on stream HOOKSWITCH_DELIVERIES is not as this hookswitch sets ` +
          `it \\(.*\\): max_batch is 10 where it sets \\(none\\); putting hookswitch's settings back`,
      ),
    );
    const { config } = await jsm.consumers.info(DELIVERY_STREAM, deliveries);
    expect(config.max_batch).toBeUndefined();
  }, 60_000);

  it("holds as many retries waiting as --max-waiting-retries says, and warns near that limit", async () => {
    writeIntegration(dir.path, "ledger", {
      url: `${receiver.url}/ledger`,
      retry: { maxAttempts: 3, initialDelay: "10m", maxDelay: "10m" },
    });
    receiver.respond(() => ({ status: 503 }));
    const d = await startTracked(daemons, {
      natsUrl: nats.url,
      dir: dir.path,
      args: ["--max-waiting-retries", "100"],
    });
    const deliveries = deliveryConsumerName(DEFAULT_CONSUMER);
    const { config } = await jsm.consumers.info(DELIVERY_STREAM, deliveries);
    expect(config.max_ack_pending).toBe(100);
    await publishEvents(nats.url, 95);
    await waitFor(() => /retries and replays wait in consumer/.test(d.output()), {
      timeoutMs: 30_000,
      what: "the warning near the limit",
    });
    expect(d.output()).toMatch(
      new RegExp(
        `"level":"warn".*"msg":"9[0-5] retries and replays wait in consumer ${deliveries}, near its ` +
          `limit of 100 \\(--max-waiting-retries\\): at the limit NATS hands out no other`,
      ),
    );
    // The same figures on /metrics, for an alert before the limit.
    const metrics = await waitFor(
      async () => {
        const text = await (await fetch(`${d.http}/metrics`)).text();
        return /^hookswitch_waiting_retries 9[0-5]$/m.test(text) ? text : undefined;
      },
      { timeoutMs: 15_000, what: "the waiting retries on /metrics" },
    );
    expect(metrics).toMatch(/^hookswitch_waiting_retries_limit 100$/m);
  }, 60_000);

  it("delivers every event after a restart with a narrower --subjects, the consumer created again with it", async () => {
    const first = await startTracked(daemons, { natsUrl: nats.url, dir: dir.path });
    await publishEvents(nats.url, 5);
    await waitFor(() => webhookIds(receiver.requests).size >= 5, { what: "the first events" });
    expect(await first.stop()).toBe(0);
    await publishEvents(nats.url, 5); // waiting while no daemon runs

    const d = await startTracked(daemons, {
      natsUrl: nats.url,
      dir: dir.path,
      args: ["--subjects", "pbx.acme.>"],
    });
    await publishEvents(nats.url, 5);
    await waitFor(() => webhookIds(receiver.requests).size >= 15, {
      timeoutMs: 20_000,
      what: "the events published while stopped and after the restart",
    });
    const { config } = await jsm.consumers.info(DEFAULT_STREAM, DEFAULT_CONSUMER);
    expect(config.filter_subject).toBe("pbx.acme.>");
    expect(d.output()).toMatch(
      /filters no subject \(all of the stream\), not what --subjects asks for/,
    );
  }, 60_000);
});
