import { createHmac } from "node:crypto";
import { jetstream } from "@nats-io/jetstream";
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
import { sleep, waitFor } from "../support/wait.js";

const SERVICE = "5d7a1c2e-0b1f-4c3d-8e9f-0a1b2c3d4e5f";
const SECRET = "whsec_" + Buffer.from("a-test-signing-secret-0123456789").toString("base64");

describe("hookswitch run delivers webhooks", () => {
  let nats: NatsServer;
  let receiver: Receiver;
  let publisher: Publisher;
  let dir: ReturnType<typeof tempDir>;
  let daemon: RunningDaemon | undefined;

  /** A dead letter as `dlq list --json` gives it. */
  interface Listed {
    id: number;
    eventId: string;
    reason: string;
    replays?: number;
    attempts: { at: string }[];
    firstAttemptAt: string | null;
    lastAttemptAt: string | null;
    lastStatus: number | null;
    lastResponseBody: string | null;
    request?: unknown;
  }
  /** The dead letter of event `eventId` replayed `replays` times (undefined: never), once listed. */
  const deadLetterOf = (eventId: string, replays: number | undefined) =>
    waitFor(
      async () => {
        const out = await runCli(["dlq", "list", "--json"], { env: { NATS_URL: nats.url } });
        return (JSON.parse(out.stdout) as Listed[]).find(
          (r) => r.eventId === eventId && r.replays === replays,
        );
      },
      { what: `the dead letter after ${replays ?? 0} replays`, timeoutMs: 15_000 },
    );

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
    receiver.respond(() => undefined);
  });
  afterEach(async () => {
    const running = daemon;
    daemon = undefined;
    await stopThenCleanUp(running, () => dir.cleanup());
  });

  it("sends the exact request for an account and a service integration", async () => {
    writeIntegration(
      dir.path,
      "crm",
      {
        url: `${receiver.url}/api/callbacks?source=pbx`,
        pathArguments: ["{serviceUuid}", "ext-{extensionNumber}"],
        auth: { type: "token", token: "${env:TEST_CRM_TOKEN}" },
        headers: { "X-Source": "myecn-{account}" },
        fields: {
          ext: "extensionNumber",
          fullName: "name",
          label: { template: "{name} ({extensionNumber})" },
        },
        signing: { secret: "${env:TEST_SIGNING}" },
      },
      { trigger: { serviceType: "mycloudpbx", events: ["user.created"] } },
    );
    writeIntegration(
      dir.path,
      "billing",
      {
        url: `${receiver.url}/billing`,
        method: "GET",
        auth: { type: "basic", username: "bill", password: "pw" },
        fields: { ext: "extensionNumber", vm: "hasVoicemail" },
      },
      { scope: { service: SERVICE } },
    );
    daemon = await startDaemon({
      natsUrl: nats.url,
      dir: dir.path,
      env: { TEST_CRM_TOKEN: "tok-123", TEST_SIGNING: SECRET },
    });
    const event = makeEvent({ serviceUuid: SERVICE, extension: "201", name: "Alice Example" });
    await publisher.publish(event);
    await waitFor(() => receiver.requests.length >= 2, { what: "two webhooks" });
    await sleep(200);
    expect(receiver.requests).toHaveLength(2);

    const crm = receiver.requests.find((r) => r.url.startsWith("/api"))!;
    expect(crm.method).toBe("POST");
    expect(crm.url).toBe(`/api/callbacks/${SERVICE}/ext-201?source=pbx`);
    expect(crm.headers["authorization"]).toBe("Bearer tok-123");
    expect(crm.headers["x-source"]).toBe("myecn-acme");
    expect(crm.headers["content-type"]).toBe("application/json");
    expect(crm.headers["user-agent"]).toMatch(/^hookswitch\/\d+\.\d+\.\d+/);
    expect(JSON.parse(crm.body)).toEqual({
      ext: "201",
      fullName: "Alice Example",
      label: "Alice Example (201)",
    });
    const id = String(crm.headers["webhook-id"]);
    const ts = String(crm.headers["webhook-timestamp"]);
    const key = Buffer.from(SECRET.slice("whsec_".length), "base64");
    const expected = createHmac("sha256", key).update(`${id}.${ts}.${crm.body}`).digest("base64");
    expect(crm.headers["webhook-signature"]).toBe(`v1,${expected}`);

    const billing = receiver.requests.find((r) => r.url.startsWith("/billing"))!;
    expect(billing.method).toBe("GET");
    expect(billing.url).toBe("/billing?ext=201&vm=true");
    expect(billing.body).toBe("");
    expect(billing.headers["authorization"]).toBe(
      `Basic ${Buffer.from("bill:pw").toString("base64")}`,
    );
    expect(billing.headers["webhook-id"]).not.toBe(id);
  });

  it("sends nothing for events that match no enabled integration", async () => {
    writeIntegration(dir.path, "off", { url: `${receiver.url}/off` }, { enabled: false });
    writeIntegration(
      dir.path,
      "other-account",
      { url: `${receiver.url}/other` },
      { scope: { account: "globex" } },
    );
    writeIntegration(
      dir.path,
      "deleted-only",
      { url: `${receiver.url}/deleted` },
      { trigger: { serviceType: "mycloudpbx", events: ["user.deleted"] } },
    );
    daemon = await startDaemon({ natsUrl: nats.url, dir: dir.path });
    await publisher.publish(makeEvent({ type: "user.created" }));
    await publisher.publish(makeEvent({ type: "user.deleted" }));
    await waitFor(() => receiver.requests.length >= 1, { what: "the deleted-only webhook" });
    await sleep(500);
    expect(receiver.requests.map((r) => r.url)).toEqual(["/deleted"]);
  });

  it("keeps the requests of events matching several integrations within --max-in-flight", async () => {
    const held = { now: 0, most: 0 };
    const answerLater = () => {
      held.most = Math.max(held.most, ++held.now);
      setTimeout(() => held.now--, 200); // just before the answer, sent as long after
      return { status: 200, delayMs: 200 };
    };
    const receivers = await Promise.all([1, 2, 3].map(() => startReceiver(answerLater)));
    try {
      receivers.forEach((r, i) => writeIntegration(dir.path, `feed-${i}`, { url: r.url }));
      daemon = await startDaemon({
        natsUrl: nats.url,
        dir: dir.path,
        args: ["--max-in-flight", "2"],
      });
      for (let i = 0; i < 3; i++) await publisher.publish(makeEvent());
      const delivered = () => receivers.reduce((n, r) => n + r.requests.length, 0);
      await waitFor(() => delivered() >= 9, { timeoutMs: 15_000, what: "nine deliveries" });
      expect(held.most).toBe(2);
    } finally {
      await Promise.all(receivers.map((r) => r.close()));
    }
  });

  it("retries 503, 503 then 200 with the same webhook-id", async () => {
    receiver.respond((_req, i) => (i < 2 ? { status: 503 } : { status: 200 }));
    writeIntegration(dir.path, "flaky", { url: `${receiver.url}/flaky` });
    daemon = await startDaemon({ natsUrl: nats.url, dir: dir.path });
    await publisher.publish(makeEvent());
    await waitFor(() => receiver.requests.length >= 3, { what: "three attempts" });
    await sleep(500);
    expect(receiver.requests).toHaveLength(3);
    const ids = new Set(receiver.requests.map((r) => r.headers["webhook-id"]));
    expect(ids.size).toBe(1);
    const metrics = await (await fetch(`${daemon.http}/metrics`)).text();
    expect(metrics).toMatch(
      /hookswitch_deliveries_total\{integration="flaky",outcome="retried"\} 2/,
    );
    expect(metrics).toMatch(
      /hookswitch_deliveries_total\{integration="flaky",outcome="delivered"\} 1/,
    );
    // The attempts by what they came to: a receiver failing, not a request refused.
    const attempts = [...metrics.matchAll(/^hookswitch_attempts_total\{(.*)\} (\d+)$/gm)];
    expect(attempts.map(([, labels, n]) => `${labels} ${n}`)).toEqual([
      'integration="flaky",result="2xx" 1',
      'integration="flaky",result="5xx" 2',
    ]);
  });

  it("sends a webhook slower than the ack wait only once", async () => {
    // The harness runs the daemon with --ack-wait 3s; this receiver answers after 5 s.
    receiver.respond(() => ({ status: 200, delayMs: 5_000 }));
    writeIntegration(dir.path, "slow-ok", { url: `${receiver.url}/slow`, timeout: "10s" });
    daemon = await startDaemon({ natsUrl: nats.url, dir: dir.path });
    await publisher.publish(makeEvent());
    await waitFor(() => receiver.requests.length >= 1, { what: "the first attempt" });
    await sleep(8_000);
    expect(receiver.requests).toHaveLength(1);
    const metrics = await (await fetch(`${daemon.http}/metrics`)).text();
    expect(metrics).toMatch(
      /hookswitch_deliveries_total\{integration="slow-ok",outcome="delivered"\} 1/,
    );
  }, 30_000);

  it("waits as long as Retry-After asks (capped at maxDelay)", async () => {
    receiver.respond((_req, i) =>
      i === 0 ? { status: 429, headers: { "Retry-After": "2" } } : { status: 200 },
    );
    writeIntegration(dir.path, "limited", {
      url: `${receiver.url}/limited`,
      retry: { maxAttempts: 3, initialDelay: "100ms", maxDelay: "5s" },
    });
    daemon = await startDaemon({ natsUrl: nats.url, dir: dir.path });
    await publisher.publish(makeEvent());
    await waitFor(() => receiver.requests.length >= 2, { timeoutMs: 10_000, what: "the retry" });
    const gap = receiver.requests[1]!.at - receiver.requests[0]!.at;
    expect(gap).toBeGreaterThanOrEqual(1_900);
  });

  it("holds the integration's other deliveries for a Retry-After, at none of their attempts", async () => {
    receiver.respond((_req, i) =>
      i === 0 ? { status: 429, headers: { "Retry-After": "2" } } : { status: 200 },
    );
    writeIntegration(dir.path, "paced", {
      url: `${receiver.url}/paced`,
      retry: { maxAttempts: 2, initialDelay: "100ms", maxDelay: "5s" },
    });
    daemon = await startDaemon({ natsUrl: nats.url, dir: dir.path });
    const first = makeEvent();
    await publisher.publish(first);
    await waitFor(() => daemon!.output().includes("asked for a pause"), {
      timeoutMs: 10_000,
      what: "the hold",
    });
    const refusedAt = receiver.requests[0]!.at;
    const api = (await (await fetch(`${daemon.http}/api/integrations`)).json()) as {
      integrations: { name: string; heldUntil: string | null }[];
    };
    const heldUntil = Date.parse(api.integrations[0]!.heldUntil ?? "");
    expect(heldUntil - refusedAt).toBeGreaterThan(1_500);
    expect(heldUntil - refusedAt).toBeLessThan(2_500);
    const others = [makeEvent(), makeEvent(), makeEvent()];
    for (const event of others) await publisher.publish(event);
    await waitFor(() => receiver.requests.length >= 5, { timeoutMs: 15_000, what: "5 requests" });
    const later = receiver.requests.slice(1).map((r) => r.at - refusedAt);
    expect(Math.min(...later)).toBeGreaterThanOrEqual(1_900);
    // Each delivered by its first attempt: the wait cost none (maxAttempts 2 would show it).
    const ids = receiver.requests.slice(1).map((r) => r.headers["webhook-id"]);
    expect(new Set(ids).size).toBe(4);
    await sleep(300);
    expect(receiver.requests).toHaveLength(5);
    const log = daemon.output();
    expect(log).toContain(
      "the receiver asked for a pause (Retry-After): deliveries to paced wait 2 s",
    );
    expect(log.match(/asked for a pause/g)).toHaveLength(1);
  });

  it("keeps a retry written without its time in a header (an earlier version) until its time", async () => {
    writeIntegration(dir.path, "steady", { url: `${receiver.url}/steady` });
    daemon = await startDaemon({ natsUrl: nats.url, dir: dir.path });
    const notBefore = new Date(Date.now() + 2_000);
    const record = {
      v: 1,
      webhookId: "msg_earlier-version",
      integration: "steady",
      event: makeEvent(),
      attempts: [],
      notBefore: notBefore.toISOString(),
    };
    await publisher.publishRaw("hookswitch.deliveries.hookswitch.steady", JSON.stringify(record));
    await waitFor(() => receiver.requests.length >= 1, { timeoutMs: 10_000, what: "the retry" });
    expect(receiver.requests[0]!.at).toBeGreaterThanOrEqual(notBefore.getTime() - 50);
    expect(receiver.requests[0]!.headers["webhook-id"]).toBe("msg_earlier-version");
  });

  it("dead-letters a 400 at once, and replay delivers it with the same webhook-id", async () => {
    receiver.respond(() => ({ status: 400, body: "unknown extension" }));
    writeIntegration(dir.path, "strict-crm", { url: `${receiver.url}/strict` });
    daemon = await startDaemon({ natsUrl: nats.url, dir: dir.path });
    const event = makeEvent();
    await publisher.publish(event);
    const env = { NATS_URL: nats.url };
    const listed = await waitFor(
      async () => {
        const out = await runCli(["dlq", "list", "--json"], { env });
        const records = JSON.parse(out.stdout) as {
          id: number;
          eventId: string;
          lastStatus: number;
          reason: string;
        }[];
        return records.find((r) => r.eventId === event.id);
      },
      { what: "the dead letter" },
    );
    expect(receiver.requests).toHaveLength(1);
    expect(listed.lastStatus).toBe(400);
    expect(listed.reason).toMatch(/400/);

    receiver.respond(() => ({ status: 204 }));
    const replay = await runCli(["dlq", "replay", String(listed.id)], { env });
    expect(replay.code).toBe(0);
    await waitFor(() => receiver.requests.length >= 2, { what: "the replayed delivery" });
    expect(receiver.requests[1]!.headers["webhook-id"]).toBe(
      receiver.requests[0]!.headers["webhook-id"],
    );
    const after = JSON.parse((await runCli(["dlq", "list", "--json"], { env })).stdout) as {
      id: number;
    }[];
    expect(after.find((r) => r.id === listed.id)).toBeUndefined();
  });

  it("retries a replayed delivery that fails again, and dead-letters it again with every attempt so far, twice over", async () => {
    receiver.respond(() => ({ status: 503 }));
    const retry = { maxAttempts: 2, initialDelay: "100ms", maxDelay: "200ms" };
    writeIntegration(dir.path, "flaky-crm", { url: `${receiver.url}/flaky`, retry });
    daemon = await startDaemon({ natsUrl: nats.url, dir: dir.path });
    const event = makeEvent();
    await publisher.publish(event);
    const env = { NATS_URL: nats.url };
    let letter = await deadLetterOf(event.id, undefined);
    expect(receiver.requests).toHaveLength(2);
    const first = letter;
    // Within JetStream's two-minute duplicate window of the first run's retry records.
    for (const replays of [1, 2]) {
      const before = letter;
      expect((await runCli(["dlq", "replay", String(letter.id)], { env })).code).toBe(0);
      letter = await deadLetterOf(event.id, replays);
      expect(receiver.requests).toHaveLength(2 + 2 * replays);
      // The replay's two attempts follow those of the runs before it, none lost.
      expect(letter.attempts).toHaveLength(2 + 2 * replays);
      expect(letter.attempts.slice(0, before.attempts.length)).toEqual(before.attempts);
      expect(letter.attempts.at(-1)?.at).toBe(letter.lastAttemptAt);
      expect(letter.firstAttemptAt).toBe(first.firstAttemptAt);
    }
  });

  it("keeps a replay for a disabled integration in the dead-letter queue, unsent, with its dead letter's attempts", async () => {
    receiver.respond(() => ({ status: 400 }));
    writeIntegration(dir.path, "paused-crm", { url: `${receiver.url}/paused` });
    daemon = await startDaemon({ natsUrl: nats.url, dir: dir.path });
    const event = makeEvent();
    await publisher.publish(event);
    const env = { NATS_URL: nats.url };
    const first = await deadLetterOf(event.id, undefined);
    writeIntegration(dir.path, "paused-crm", { url: `${receiver.url}/paused` }, { enabled: false });
    await waitFor(
      async () => {
        const api = (await (await fetch(`${daemon!.http}/api/integrations`)).json()) as {
          integrations: { name: string; enabled: boolean }[];
        };
        return api.integrations.find((i) => i.name === "paused-crm")?.enabled === false;
      },
      { what: "the integration disabled" },
    );
    expect((await runCli(["dlq", "replay", String(first.id)], { env })).code).toBe(0);
    const again = await deadLetterOf(event.id, 1);
    expect(again.reason).toMatch(/integration disabled when the replay came/);
    expect(receiver.requests).toHaveLength(1);
    // Why it failed in the first place stays in the queue with it.
    const { attempts, lastStatus, lastResponseBody, request } = first;
    expect(attempts).toHaveLength(1);
    expect(again).toMatchObject({ attempts, lastStatus, lastResponseBody, request });
  });

  it("keeps a replay in the dead-letter queue, unsent, once its integration's trigger no longer matches the event", async () => {
    receiver.respond(() => ({ status: 400 }));
    writeIntegration(dir.path, "retargeted", { url: `${receiver.url}/created` });
    daemon = await startDaemon({ natsUrl: nats.url, dir: dir.path });
    const event = makeEvent();
    await publisher.publish(event);
    const env = { NATS_URL: nats.url };
    const first = await deadLetterOf(event.id, undefined);
    receiver.respond(() => ({ status: 200 }));
    writeIntegration(
      dir.path,
      "retargeted",
      { url: `${receiver.url}/deleted` },
      { trigger: { serviceType: "mycloudpbx", events: ["user.deleted"] } },
    );
    await waitFor(
      async () => {
        const api = (await (await fetch(`${daemon!.http}/api/integrations`)).json()) as {
          integrations: { name: string; events: string[] }[];
        };
        const events = api.integrations.find((i) => i.name === "retargeted")?.events;
        return events?.join() === "user.deleted";
      },
      { what: "the trigger changed" },
    );
    expect((await runCli(["dlq", "replay", String(first.id)], { env })).code).toBe(0);
    const again = await deadLetterOf(event.id, 1);
    expect(again.reason).toMatch(
      /^integration no longer matches the event \(integration retargeted is triggered by user\.deleted, the event is user\.created\) when the replay came: purge it/,
    );
    expect(receiver.requests.map((r) => r.url)).toEqual(["/created"]);
  });

  it("serves only integrations whose secrets --secret-env-prefix allows", async () => {
    const token = (name: string) => ({ auth: { type: "token", token: `\${env:${name}}` } });
    writeIntegration(dir.path, "allowed", {
      url: `${receiver.url}/allowed`,
      ...token("CRM_TOKEN"),
    });
    writeIntegration(dir.path, "greedy", { url: `${receiver.url}/greedy`, ...token("NATS_TOKEN") });
    daemon = await startDaemon({
      natsUrl: nats.url,
      dir: dir.path,
      args: ["--secret-env-prefix", "CRM_"],
      env: { CRM_TOKEN: "crm-t0ken", NATS_TOKEN: "nats-s3cret" },
    });
    await publisher.publish(makeEvent());
    await waitFor(() => receiver.requests.length >= 1, { what: "the allowed delivery" });
    await sleep(300);
    expect(receiver.requests.map((r) => [r.url, r.headers.authorization])).toEqual([
      ["/allowed", "Bearer crm-t0ken"],
    ]);
    const api = (await (await fetch(`${daemon.http}/api/integrations`)).json()) as {
      invalidFiles: { problems: { message: string }[] }[];
    };
    expect(api.invalidFiles.flatMap((f) => f.problems.map((p) => p.message))).toEqual([
      "webhook.auth.token: environment variable NATS_TOKEN is not one integration files may read: its name must start with CRM_ (--secret-env-prefix)",
    ]);
    // A prefix alone leaves ${file:/proc/self/environ}: the operator is told at start.
    expect(daemon.output()).toMatch(/--secret-env-prefix is set without --secrets-dir/);
    expect(daemon.output()).not.toMatch(/nats-s3cret/);
  });

  it("dead-letters malformed messages and keeps consuming", async () => {
    writeIntegration(dir.path, "steady", { url: `${receiver.url}/steady` });
    daemon = await startDaemon({ natsUrl: nats.url, dir: dir.path });
    const subject = "pbx.acme.mycloudpbx.x.user.created";
    await publisher.publishRaw(subject, "{ not json");
    await publisher.publishRaw(
      subject,
      JSON.stringify({ specversion: "1.0", id: "x", type: "user.exploded" }),
    );
    await publisher.publishRaw(subject, "\u0000\u0001binary");
    const notText = Buffer.from([0x7b, 0xff, 0xfe, 0x22, 0x7d]);
    await jetstream(publisher.nc).publish(subject, notText);
    const good = makeEvent();
    await publisher.publish(good);
    await waitFor(() => receiver.requests.length >= 1, { what: "the valid event's webhook" });
    const metrics = await (await fetch(`${daemon.http}/metrics`)).text();
    expect(metrics).toMatch(/hookswitch_events_invalid_total 4/);
    const out = await runCli(["dlq", "list", "--json"], { env: { NATS_URL: nats.url } });
    const unrouted = (
      JSON.parse(out.stdout) as {
        integration: string | null;
        reason: string;
        event: unknown;
        eventBase64?: string;
      }[]
    ).filter((r) => r.integration === null);
    const reasons = unrouted.map((r) => r.reason);
    expect(reasons.filter((r) => r.startsWith("invalid event")).length).toBeGreaterThanOrEqual(4);
    // Bytes that are not UTF-8 are kept as they were.
    const kept = unrouted.find((r) => r.eventBase64 !== undefined);
    expect(kept).toMatchObject({ event: null, eventBase64: notText.toString("base64") });
  });

  it("counts an event that matches no integration and says at debug what matching looked at", async () => {
    writeIntegration(dir.path, "acme-crm", { url: `${receiver.url}/acme` });
    daemon = await startDaemon({ natsUrl: nats.url, dir: dir.path });
    const spelledOtherwise = makeEvent({ account: "Acme" });
    await publisher.publish(spelledOtherwise);
    await publisher.publish(makeEvent());
    await waitFor(() => receiver.requests.length >= 1, { what: "the matching event's webhook" });
    const metrics = await (await fetch(`${daemon.http}/metrics`)).text();
    expect(metrics).toMatch(/^hookswitch_events_unmatched_total 1$/m);
    const line = daemon
      .output()
      .split("\n")
      .find((l) => l.includes("event matched no enabled integration"));
    expect(JSON.parse(line ?? "{}")).toMatchObject({
      eventId: spelledOtherwise.id,
      type: "user.created",
      account: "Acme",
      serviceType: "mycloudpbx",
    });
  });

  it("delivers an event that writes what it lacks as null and has no time, not dead-lettered", async () => {
    writeIntegration(dir.path, "nulls-json", {
      url: `${receiver.url}/json`,
      fields: { ext: "extensionNumber", name: "name", at: "eventTime", vm: "hasVoicemail" },
    });
    writeIntegration(dir.path, "nulls-query", {
      url: `${receiver.url}/query`,
      method: "GET",
      format: "query",
      fields: { ext: "extensionNumber", name: "name", at: "eventTime" },
    });
    daemon = await startDaemon({ natsUrl: nats.url, dir: dir.path });
    const event = makeEvent({ extension: "202" });
    delete event.time;
    event.data.user = { ...event.data.user, name: null, hasVoicemail: null };
    await publisher.publish(event);
    await waitFor(() => receiver.requests.length >= 2, { what: "both webhooks" });
    const json = receiver.requests.find((r) => r.url === "/json")!;
    expect(JSON.parse(json.body)).toEqual({ ext: "202", name: null, at: null, vm: null });
    expect(receiver.requests.find((r) => r.url.startsWith("/query"))?.url).toBe("/query?ext=202");
    const metrics = await (await fetch(`${daemon.http}/metrics`)).text();
    expect(metrics).toMatch(/hookswitch_events_invalid_total 0/);
  });

  it("stores a dead letter too large for one NATS message cut short, once, and acks its message", async () => {
    receiver.respond(() => ({ status: 404 }));
    writeIntegration(dir.path, "gone-crm", { url: `${receiver.url}/gone`, fields: { n: "name" } });
    // Events as large as a record can carry are let through, to be sent and dead-lettered.
    daemon = await startDaemon({
      natsUrl: nats.url,
      dir: dir.path,
      args: ["--max-event-size", "960KiB"],
    });
    // 680 KB that JSON escaping doubles; and a valid 540 KB event whose request is as large.
    await publisher.publishRaw("pbx.acme.mycloudpbx.x.user.created", '"\\'.repeat(340_000));
    const big = makeEvent({ name: "a".repeat(540_000) });
    await publisher.publish(big);
    type Listed = { id: number; eventId: string | null; reason: string; cut?: string[] };
    const letters = await waitFor(
      async () => {
        const out = await runCli(["dlq", "list", "--json"], { env: { NATS_URL: nats.url } });
        const records = JSON.parse(out.stdout) as Listed[];
        const invalid = records.find((r) => r.reason.includes("not valid JSON") && r.cut);
        const failed = records.find((r) => r.eventId === big.id);
        return invalid && failed ? { invalid, failed } : undefined;
      },
      { what: "both dead letters", timeoutMs: 15_000 },
    );
    expect(letters.invalid.cut).toEqual(["event"]);
    expect(letters.failed.cut).toEqual(["request.body"]);
    // Handed back, either would come again within a second (and the 404 be sent again).
    await sleep(1_500);
    expect(receiver.requests).toHaveLength(1);
    const metrics = await (await fetch(`${daemon.http}/metrics`)).text();
    expect(metrics).toMatch(/hookswitch_events_invalid_total 1\n/);
    // The whole event was kept: the delivery can be replayed.
    receiver.respond(() => ({ status: 204 }));
    const env = { NATS_URL: nats.url };
    expect((await runCli(["dlq", "replay", String(letters.failed.id)], { env })).code).toBe(0);
    await waitFor(() => receiver.requests.length >= 2, { what: "the replayed delivery" });
    expect(JSON.parse(receiver.requests[1]!.body) as unknown).toEqual({ n: big.data.user.name });
  });

  it("moves an unreadable delivery record to the dead-letter queue instead of dropping it", async () => {
    writeIntegration(dir.path, "steady", { url: `${receiver.url}/steady` });
    daemon = await startDaemon({ natsUrl: nats.url, dir: dir.path });
    await publisher.publishRaw("hookswitch.deliveries.hookswitch.steady", "not a record");
    const record = await waitFor(
      async () => {
        const out = await runCli(["dlq", "list", "--json"], { env: { NATS_URL: nats.url } });
        return (JSON.parse(out.stdout) as { reason: string; event: unknown }[]).find((r) =>
          r.reason.startsWith("unreadable delivery record"),
        );
      },
      { what: "the unreadable record in the dead-letter queue" },
    );
    expect(record.event).toBe("not a record");
  });

  it("dead-letters a delivery whose path argument the event leaves empty, sending the rest", async () => {
    writeIntegration(dir.path, "by-number", {
      url: `${receiver.url}/numbers`,
      pathArguments: ["{outboundPhoneNumber}"],
    });
    writeIntegration(dir.path, "by-ext", {
      url: `${receiver.url}/extensions`,
      pathArguments: ["ext-{extensionNumber}"],
    });
    daemon = await startDaemon({ natsUrl: nats.url, dir: dir.path });
    const event = makeEvent();
    event.data.user = { ...event.data.user, outboundNumber: null };
    await publisher.publish(event);
    const record = await waitFor(
      async () => {
        const out = await runCli(["dlq", "list", "--json", "--integration", "by-number"], {
          env: { NATS_URL: nats.url },
        });
        return (JSON.parse(out.stdout) as { eventId: string; reason: string }[]).find(
          (r) => r.eventId === event.id,
        );
      },
      { what: "the unsent delivery in the dead-letter queue" },
    );
    expect(record.reason).toMatch(
      /^EMPTY_PATH_ARGUMENT: not sent: webhook\.pathArguments\[0\] "\{outboundPhoneNumber\}" is empty for this event, which has no outboundPhoneNumber \(data\.user\.outboundNumber\)/,
    );
    await waitFor(() => receiver.requests.length >= 1, { what: "the other webhook" });
    expect(receiver.requests.map((r) => r.url)).toEqual(["/extensions/ext-201"]);
  });

  it("refuses a link-local target as a permanent failure", async () => {
    writeIntegration(dir.path, "metadata", { url: "http://169.254.169.254/latest/meta-data" });
    daemon = await startDaemon({ natsUrl: nats.url, dir: dir.path });
    const event = makeEvent();
    await publisher.publish(event);
    const record = await waitFor(
      async () => {
        const out = await runCli(["dlq", "list", "--json", "--integration", "metadata"], {
          env: { NATS_URL: nats.url },
        });
        return (
          JSON.parse(out.stdout) as { eventId: string; lastError: string; attempts: unknown[] }[]
        ).find((r) => r.eventId === event.id);
      },
      { what: "the refused delivery in the dead-letter queue" },
    );
    expect(record.attempts).toHaveLength(1);
    expect(record.lastError).toMatch(/egress/i);
  });
});
