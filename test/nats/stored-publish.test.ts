import { DiscardPolicy, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NoStreamError } from "../../src/errors.js";
import { isMissingResource } from "../../src/nats/recovery.js";
import { createStoredPublisher } from "../../src/nats/stored-publish.js";
import { startNatsServer, useNatsWithClient, type NatsServer } from "../support/nats-server.js";
import { waitFor } from "../support/wait.js";

let server: NatsServer;
let nc: NatsConnection;
let jsm: JetStreamManager;

useNatsWithClient("stored-publish-test", async (started) => {
  ({ server, nc, jsm } = started);
  await jsm.streams.add({ name: "STORE", subjects: ["store.>"] });
  await jsm.streams.add({
    name: "FULL",
    subjects: ["full.>"],
    max_msgs: 1,
    discard: DiscardPolicy.New,
  });
});

const storedIn = async (stream: string) => (await jsm.streams.info(stream)).state.messages;

describe("a stored publish", () => {
  it("resolves once the stream holds the message, with its id as the duplicate key", async () => {
    const publisher = createStoredPublisher(nc);
    const before = await storedIn("STORE");
    await publisher.publish("store.a", JSON.stringify({ n: 1 }), "id-1");
    await publisher.publish("store.a", JSON.stringify({ n: 1 }), "id-1"); // a republish
    expect(await storedIn("STORE")).toBe(before + 1);
    const stored = await jsm.streams.getMessage("STORE", { last_by_subj: "store.a" });
    expect(stored?.json()).toEqual({ n: 1 });
    expect(stored?.header.get("Nats-Msg-Id")).toBe("id-1");
    publisher.close();
  });

  it("settles many publishes in flight each with its own acknowledgement", async () => {
    const publisher = createStoredPublisher(nc);
    const before = await storedIn("STORE");
    const ids = Array.from({ length: 500 }, (_, i) => `many-${i}`);
    await Promise.all(ids.map((id) => publisher.publish(`store.many`, id, id)));
    expect(await storedIn("STORE")).toBe(before + 500);
    publisher.close();
  });

  it("rejects when no stream stores the subject, naming the subject, as a missing stream", async () => {
    const publisher = createStoredPublisher(nc);
    const failed = publisher.publish("nowhere.a", "x", "id-2");
    await expect(failed).rejects.toBeInstanceOf(NoStreamError);
    await expect(failed).rejects.toThrow(/no JetStream stream stores nowhere\.a/);
    // The daemon sets its streams up again on such a failure.
    expect(isMissingResource(await failed.catch((err: unknown) => err))).toBe(true);
    publisher.close();
  });

  it("rejects with the stream's own reason when the stream refuses the message", async () => {
    const publisher = createStoredPublisher(nc);
    await publisher.publish("full.a", "first", "full-1");
    await expect(publisher.publish("full.a", "second", "full-2")).rejects.toThrow(
      /JetStream refused the message: maximum messages exceeded/,
    );
    publisher.close();
  });

  it("rejects a publish nobody acknowledges once its time is up, and only that one", async () => {
    // A plain subscriber takes the message, so the server has a responder but no stream.
    const silent = nc.subscribe("silent.>");
    const publisher = createStoredPublisher(nc, { timeoutMs: 200 });
    const started = performance.now();
    const unanswered = publisher.publish("silent.a", "x", "id-3");
    const answered = publisher.publish("store.b", "y", "id-4");
    await expect(answered).resolves.toBeUndefined();
    await expect(unanswered).rejects.toThrow(/no acknowledgement from JetStream within 200 ms/);
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    silent.unsubscribe();
    publisher.close();
  });

  it("rejects an answer that is not JetStream's: a plain subscriber's reply stores nothing", async () => {
    // A service on the subject answers as services do; no stream holds the message.
    const imposter = nc.subscribe("imposter.>", {
      callback: (_err, msg) => void msg.respond("{}"),
    });
    const publisher = createStoredPublisher(nc);
    await expect(publisher.publish("imposter.a", "x", "id-imposter")).rejects.toThrow(
      /JetStream acknowledgement without a stream/,
    );
    imposter.unsubscribe();
    publisher.close();
  });

  it("rejects what is still waiting when the connection closes", async () => {
    const own = await connect({ servers: server.url });
    const silent = own.subscribe("silent.>");
    const publisher = createStoredPublisher(own, { timeoutMs: 60_000 });
    const waiting = publisher.publish("silent.c", "x", "id-5");
    await own.flush();
    await own.close();
    await expect(waiting).rejects.toThrow(/the NATS connection closed/);
    silent.unsubscribe();
  });

  it("rejects at once a subject that is not valid", async () => {
    const publisher = createStoredPublisher(nc);
    await expect(publisher.publish("bad subject", "x", "id-6")).rejects.toThrow(
      /could not publish to bad subject/,
    );
    publisher.close();
  });
});

describe("a stored publish by a NATS user of narrow permissions", () => {
  let limitedServer: NatsServer;
  let folder: string;
  let limited: NatsConnection;

  /** The users' permissions; the limited one may have its replies' inbox taken away. */
  const writeConfig = (inboxAllowed: boolean) =>
    writeFileSync(
      join(folder, "nats.conf"),
      // JetStream configured here, not on the command line: a reload would turn it off.
      `jetstream { store_dir: ${JSON.stringify(join(folder, "store"))} }\n` +
        "authorization { users = [\n" +
        "  { user: admin, password: admin }\n" +
        '  { user: limited, password: limited, permissions: { publish: { deny: ["refused.>"] },' +
        ` subscribe: { allow: [${inboxAllowed ? '"_INBOX_limited.>"' : '"nothing"'}] } } }\n] }\n`,
    );

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), "hookswitch-stored-perm-"));
    writeConfig(true);
    limitedServer = await startNatsServer(["-c", join(folder, "nats.conf")], { jetstream: false });
    const admin = await connect({ servers: limitedServer.url, user: "admin", pass: "admin" });
    const jsm = await jetstreamManager(admin);
    await jsm.streams.add({ name: "LIMITED", subjects: ["refused.>", "allowed.>"] });
    await admin.close();
    limited = await connect({
      servers: limitedServer.url,
      user: "limited",
      pass: "limited",
      inboxPrefix: "_INBOX_limited",
    });
  });
  afterAll(async () => {
    await limited.close();
    await limitedServer.dispose();
    rmSync(folder, { recursive: true, force: true });
  });

  it("hears its acknowledgements under the connection's inbox prefix", async () => {
    const publisher = createStoredPublisher(limited, { inboxPrefix: "_INBOX_limited" });
    await expect(publisher.publish("allowed.a", "x", "id-p1")).resolves.toBeUndefined();
    publisher.close();
  });

  it("rejects at once, naming the subject, what NATS refuses to take from the user", async () => {
    // A minute to wait: only the server's refusal can end the wait within the test's time.
    const publisher = createStoredPublisher(limited, {
      timeoutMs: 60_000,
      inboxPrefix: "_INBOX_limited",
    });
    const refused = publisher.publish("refused.a", "x", "id-p2");
    const allowed = publisher.publish("allowed.b", "y", "id-p3");
    await expect(refused).rejects.toThrow("NATS refused publishing to refused.a");
    await expect(refused.catch((e: Error) => e.cause)).resolves.toMatchObject({
      name: "PermissionViolationError",
    });
    await expect(allowed).resolves.toBeUndefined();
    publisher.close();
  });

  it("hears acknowledgements again once NATS, reloaded, allows the inbox it had refused", async () => {
    const publisher = createStoredPublisher(limited, {
      timeoutMs: 1_000,
      inboxPrefix: "_INBOX_limited",
    });
    try {
      writeConfig(false);
      limitedServer.reload();
      await waitFor(
        () =>
          publisher.publish("allowed.c", "x", `id-r${Date.now()}`).then(
            () => false,
            () => true,
          ),
        { timeoutMs: 10_000, what: "a publish unacknowledged while the inbox is refused" },
      );
      writeConfig(true);
      limitedServer.reload();
      await waitFor(
        () =>
          publisher.publish("allowed.d", "y", `id-s${Date.now()}`).then(
            () => true,
            () => false,
          ),
        { timeoutMs: 15_000, what: "a publish acknowledged once the inbox is allowed again" },
      );
    } finally {
      publisher.close();
    }
  }, 40_000);
});
