import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { startReceiver, type Receiver } from "../support/receiver.js";
import { runCli } from "../support/cli.js";
import {
  connectPublisher,
  makeEvent,
  startDaemon,
  stopThenCleanUp,
  tempDir,
  writeIntegration,
  type Publisher,
  type RunningDaemon,
} from "../support/daemon.js";
import { eventSubject } from "../../src/events/sample.js";
import { waitFor } from "../support/wait.js";

interface Listed {
  id: number;
  integration: string | null;
  eventId: string | null;
  reason: string;
}

describe("hookswitch run --require-subject-match", () => {
  let nats: NatsServer;
  let receiver: Receiver;
  let publisher: Publisher;
  let dir: ReturnType<typeof tempDir>;
  let daemon: RunningDaemon | undefined;
  const env = () => ({ NATS_URL: nats.url });

  beforeAll(async () => {
    nats = await startNatsServer();
    receiver = await startReceiver();
    publisher = await connectPublisher(nats.url);
  });
  afterAll(async () => {
    await publisher.close();
    await receiver.close();
    await nats.dispose();
  });
  beforeEach(() => {
    dir = tempDir();
    receiver.requests.length = 0;
  });
  afterEach(async () => {
    const running = daemon;
    daemon = undefined;
    await stopThenCleanUp(running, () => dir.cleanup());
  });

  it("dead-letters an event on another account's subject, which cannot be replayed, and delivers the rest", async () => {
    writeIntegration(
      dir.path,
      "globex-crm",
      { url: `${receiver.url}/globex` },
      {
        scope: { account: "globex" },
      },
    );
    daemon = await startDaemon({
      natsUrl: nats.url,
      dir: dir.path,
      env: { HOOKSWITCH_REQUIRE_SUBJECT_MATCH: "true" },
    });
    // Published where acme's publisher may publish, for globex's webhooks.
    const forged = makeEvent({ account: "globex" });
    await publisher.publishRaw(
      eventSubject({ ...forged, data: { ...forged.data, account: "acme" } }),
      JSON.stringify(forged),
    );
    const genuine = makeEvent({ account: "globex" });
    await publisher.publish(genuine);

    await waitFor(() => receiver.requests.length >= 1, { what: "the genuine event's webhook" });
    const letter = await waitFor(
      async () => {
        const out = await runCli(["dlq", "list", "--json"], { env: env() });
        return (JSON.parse(out.stdout) as Listed[]).find((r) => r.eventId === forged.id);
      },
      { what: "the forged event's dead letter" },
    );
    expect(letter).toMatchObject({ integration: null });
    expect(letter.reason).toMatch(
      /^invalid event: its subject "pbx\.acme\.mycloudpbx\.[0-9a-f-]+\.user\.created" does not end in .* it names account "acme", the event is for "globex"$/,
    );
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]?.body).toContain(genuine.id);
    const metrics = await (await fetch(`${daemon.http}/metrics`)).text();
    expect(metrics).toMatch(/^hookswitch_events_invalid_total 1$/m);

    const replay = await runCli(["dlq", "replay", String(letter.id)], { env: env() });
    expect(replay.code).toBe(1);
    expect(replay.stderr).toMatch(
      /on a subject that does not name its account, service and type: it cannot be replayed/,
    );
  });

  it("is off by default: the payload decides routing, whatever the subject", async () => {
    writeIntegration(
      dir.path,
      "globex-crm",
      { url: `${receiver.url}/globex` },
      {
        scope: { account: "globex" },
      },
    );
    daemon = await startDaemon({ natsUrl: nats.url, dir: dir.path });
    const event = makeEvent({ account: "globex" });
    await publisher.publishRaw("pbx.events", JSON.stringify(event));
    await waitFor(() => receiver.requests.length >= 1, { what: "the webhook" });
    expect(receiver.requests[0]?.body).toContain(event.id);
  });
});
