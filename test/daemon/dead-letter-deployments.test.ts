/**
 * Two deployments on one NATS (`--consumer hookswitch` and `--consumer gitsync`), each with
 * an integration named crm sending to its own receiver: each daemon keeps its dead letters
 * apart and counts only its own (and those of the old layout), and a replay never sends one
 * deployment's dead letter through the other's crm.
 */
import { jetstream } from "@nats-io/jetstream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { unroutedDeadLetter } from "../../src/delivery/records.js";
import { oldDeadLetterSubject } from "../../src/nats/layout.js";
import { ensureHookswitchStreams } from "../../src/nats/streams.js";
import { runCli } from "../support/cli.js";
import {
  connectPublisher,
  killLeftOver,
  makeEvent,
  startTracked,
  stopThenCleanUp,
  tempDir,
  writeIntegration,
  type RunningDaemon,
} from "../support/daemon.js";
import { startNatsWithClient, type NatsWithClient } from "../support/nats-server.js";
import { startReceiver, type Receiver } from "../support/receiver.js";
import { waitFor } from "../support/wait.js";

interface Listed {
  id: number;
  integration: string | null;
  eventId: string | null;
}

let nats: NatsWithClient;
const receivers: Receiver[] = [];
const dirs: ReturnType<typeof tempDir>[] = [];
const daemons: RunningDaemon[] = [];

beforeAll(async () => {
  nats = await startNatsWithClient("dlq-deployments-daemon-test");
});
afterEach(async () => {
  await stopThenCleanUp(
    daemons,
    () => killLeftOver(daemons),
    ...receivers.splice(0).map((r) => () => r.close()),
    ...dirs.splice(0).map((d) => () => d.cleanup()),
  );
});
afterAll(async () => {
  await nats.nc.close();
  await nats.server.dispose();
});

/** A deployment: its crm integration sends to a receiver of its own that answers 410. */
async function deployment(consumer: string, args: string[] = []) {
  const receiver = await startReceiver(() => ({ status: 410, body: "gone" }));
  receivers.push(receiver);
  const dir = tempDir();
  dirs.push(dir);
  writeIntegration(dir.path, "crm", { url: `${receiver.url}/${consumer}` });
  const daemon = await startTracked(daemons, {
    natsUrl: nats.server.url,
    dir: dir.path,
    args: ["--consumer", consumer, ...args],
  });
  return { receiver, daemon };
}

const env = () => ({ NATS_URL: nats.server.url });

async function listed(consumer: string): Promise<Listed[]> {
  const out = await runCli(["dlq", "list", "--json", "--consumer", consumer], { env: env() });
  expect(out.code).toBe(0);
  return JSON.parse(out.stdout) as Listed[];
}

async function deadLetterGauge(daemon: RunningDaemon): Promise<number | undefined> {
  const text = await (await fetch(`${daemon.http}/metrics`)).text();
  const value = /^hookswitch_dead_letters (\d+)$/m.exec(text)?.[1];
  return value === undefined ? undefined : Number(value);
}

describe("two deployments' daemons on one NATS", () => {
  // Two daemons and a dozen CLI runs, each a Node.js start: 8–12 s here, 32 s on a busy machine.
  it("keep, count and replay their dead letters apart, and both see the old layout's", async () => {
    // A dead letter from before they were namespaced.
    await ensureHookswitchStreams(nats.jsm);
    const old = unroutedDeadLetter({
      reason: "old",
      event: "{oops",
      deadAt: "2026-11-01T00:00:00Z",
    });
    await jetstream(nats.nc).publish(oldDeadLetterSubject(null), JSON.stringify(old));

    const a = await deployment("hookswitch");
    const event = makeEvent();
    const publisher = await connectPublisher(nats.server.url);
    await publisher.publish(event);
    await publisher.close();
    const ofA = await waitFor(
      async () => (await listed("hookswitch")).find((r) => r.eventId === event.id),
      { what: "the first deployment's dead letter" },
    );

    // The second reads the same event; its count is read at its start, after the first's.
    const b = await deployment("gitsync", ["--deliver", "all"]);
    const ofB = await waitFor(
      async () => (await listed("gitsync")).find((r) => r.eventId === event.id),
      { what: "the second deployment's dead letter" },
    );
    expect(ofB.id).not.toBe(ofA.id);
    expect((await listed("hookswitch")).map((r) => r.id)).toEqual([1, ofA.id]);
    expect((await listed("gitsync")).map((r) => r.id)).toEqual([1, ofB.id]);
    await waitFor(async () => (await deadLetterGauge(b.daemon)) === 2, {
      what: "the second deployment's gauge at 2",
    });
    expect(await deadLetterGauge(a.daemon)).toBe(2);
    expect(await deadLetterGauge(b.daemon)).toBe(2);

    // The default deployment's replay of the other's dead letter sends nothing.
    a.receiver.respond(() => ({ status: 204 }));
    b.receiver.respond(() => ({ status: 204 }));
    const refused = await runCli(["dlq", "replay", String(ofB.id)], { env: env() });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("belongs to the deployment with --consumer gitsync");
    const replayed = await runCli(["dlq", "replay", "--consumer", "gitsync", String(ofB.id)], {
      env: env(),
    });
    expect(replayed.code).toBe(0);
    await waitFor(() => b.receiver.requests.length === 2, { what: "the replay, to gitsync's crm" });
    expect(a.receiver.requests).toHaveLength(1);
    expect(b.receiver.requests[1]!.headers["webhook-id"]).toBe(
      b.receiver.requests[0]!.headers["webhook-id"],
    );
  }, 60_000);
});
