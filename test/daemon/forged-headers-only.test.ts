/**
 * A publisher that sends empty messages with the header a headers-only consumer adds
 * (`Nats-Msg-Size`): were they taken for events sent without their bodies, each would be
 * handed back for 20 deliveries, holding a place of the shared event consumer all the while,
 * and enough of them would stall every tenant's events. They are invalid events.
 */
import { jetstream } from "@nats-io/jetstream";
import { headers } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventSubject } from "../../src/events/sample.js";
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
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { startReceiver, type Receiver } from "../support/receiver.js";
import { waitFor } from "../support/wait.js";

const FORGED = 30;

interface Listed {
  id: number;
  integration: string | null;
  reason: string;
}

describe("hookswitch run given empty messages that claim a size", () => {
  let nats: NatsServer;
  let receiver: Receiver;
  let publisher: Publisher;
  let dir: ReturnType<typeof tempDir>;
  let daemon: RunningDaemon;

  beforeAll(async () => {
    nats = await startNatsServer();
    receiver = await startReceiver();
    publisher = await connectPublisher(nats.url);
    dir = tempDir();
    writeIntegration(dir.path, "ledger", { url: `${receiver.url}/ledger` });
    daemon = await startDaemon({ natsUrl: nats.url, dir: dir.path });
  });
  afterAll(async () => {
    await stopThenCleanUp(
      daemon,
      () => publisher.close(),
      () => receiver.close(),
      () => nats.dispose(),
      () => dir.cleanup(),
    );
  });

  it("dead-letters them at once as invalid, and delivers the events published after them", async () => {
    const js = jetstream(publisher.nc);
    const subject = eventSubject(makeEvent());
    for (let i = 0; i < FORGED; i++) {
      const h = headers();
      h.set("Nats-Msg-Size", "512");
      await js.publish(subject, new Uint8Array(0), { headers: h });
    }
    const genuine = makeEvent();
    await publisher.publish(genuine);

    await waitFor(() => receiver.requests.length >= 1, { what: "the genuine event's webhook" });
    // Handed back, they would wait 5 s a time for 20 deliveries before any dead letter.
    const letters = await waitFor(
      async () => {
        const out = await runCli(["dlq", "list", "--json"], { env: { NATS_URL: nats.url } });
        const listed = JSON.parse(out.stdout) as Listed[];
        return listed.length >= FORGED ? listed : undefined;
      },
      { timeoutMs: 4_000, what: "every empty message dead-lettered" },
    );
    expect(letters).toHaveLength(FORGED);
    for (const letter of letters) {
      expect(letter.integration).toBeNull();
      expect(letter.reason).toMatch(/^invalid event: /);
    }
    expect(daemon.output()).not.toMatch(/sends messages without their bodies/);
  }, 30_000);
});
