import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { connectPublisher, makeEvent, tempDir, writeIntegration } from "../support/daemon.js";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { startReceiver, type Receiver } from "../support/receiver.js";
import { sleep, waitFor } from "../support/wait.js";
import { DaemonPool } from "./scenario.js";

const deep = (depth: number) => "[".repeat(depth) + "]".repeat(depth);

async function deadLetterCount(natsUrl: string): Promise<number> {
  const listed = await runCli(["dlq", "list", "--json", "--nats", natsUrl]);
  return listed.code === 0 ? (JSON.parse(listed.stdout) as unknown[]).length : -1;
}

describe("poison messages", () => {
  let nats: NatsServer;
  let receiver: Receiver;
  let dir: ReturnType<typeof tempDir>;
  const pool = new DaemonPool();

  beforeAll(async () => {
    nats = await startNatsServer();
    receiver = await startReceiver(() => ({ status: 503 }));
    dir = tempDir();
    writeIntegration(dir.path, "failing", {
      url: `${receiver.url}/`,
      retry: { maxAttempts: 2, initialDelay: "100ms", maxDelay: "200ms" },
    });
  });
  afterAll(async () => {
    await pool.killAll();
    await receiver.close();
    await nats.dispose();
    dir.cleanup();
  });

  // A guard against a bug once here: the record holding a 100,000-level value could not be
  // serialised (JSON.stringify overflowed the stack), so the handler threw and the message
  // was handed back forever instead of being dead-lettered (MAX_EVENT_DEPTH now refuses it).
  it("dead-letters a message of 100,000 nested arrays instead of handing it back forever", async () => {
    await pool.start({ natsUrl: nats.url, dir: dir.path });
    const publisher = await connectPublisher(nats.url);
    await publisher.publishRaw("pbx.acme.mycloudpbx.x.user.created", deep(100_000));
    await publisher.close();
    await waitFor(async () => (await deadLetterCount(nats.url)) === 1, {
      timeoutMs: 15_000,
      intervalMs: 1_000,
      what: "the poison message in the dead-letter queue",
    });
  }, 60_000);

  it("sends a valid event with a deeply nested extra field a bounded number of times", async () => {
    const event = makeEvent();
    const text = JSON.stringify(event).replace('"data":{', `"data":{"extra":${deep(100_000)},`);
    const publisher = await connectPublisher(nats.url);
    await publisher.publishRaw(`pbx.acme.mycloudpbx.${event.data.service.uuid}.user.created`, text);
    await publisher.close();
    await sleep(15_000);
    // maxAttempts 2: two requests, then a dead letter. More means the retry record was never stored.
    console.log(`[fault] deep extra field: ${receiver.requests.length} requests in 15 s`);
    expect(receiver.requests.length).toBeLessThanOrEqual(2);
  }, 60_000);
});
