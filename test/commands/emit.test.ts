import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DiscardPolicy, jetstream, type JetStreamManager, type JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import {
  buildSampleEvent,
  eventSubject,
  subjectOfUnknownEvent,
  withFreshId,
} from "../../src/events/sample.js";
import { parseBooleanFlag, parseCallList } from "../../src/commands/emit/flag-values.js";
import { ensureEventStream } from "../../src/nats/event-stream.js";
import { runCli, spawnCli } from "../support/cli.js";
import { useNatsWithClient, type NatsServer } from "../support/nats-server.js";
import { freePort, waitFor } from "../support/wait.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const SERVICE = "7d9e3a52-1b2c-4d5e-8f90-a1b2c3d4e5f6";

describe("sample events", () => {
  const stamp = { id: "id-1", time: "2026-11-28T17:00:00.000Z" };

  it("are CloudEvents 1.0 with the user fields given, and only those", () => {
    const event = buildSampleEvent(
      {
        type: "user.created",
        account: "acme",
        serviceUuid: SERVICE,
        serviceType: "mycloudpbx",
        extension: "201",
        hasVoicemail: false,
        enabledCalls: [],
      },
      stamp,
    );
    expect(event).toEqual({
      specversion: "1.0",
      id: "id-1",
      source: `/accounts/acme/services/${SERVICE}`,
      type: "user.created",
      time: stamp.time,
      datacontenttype: "application/json",
      data: {
        account: "acme",
        service: { type: "mycloudpbx", uuid: SERVICE },
        user: { extension: "201", hasVoicemail: false, enabledCalls: [] },
      },
    });
    expect(eventSubject(event)).toBe(`pbx.acme.mycloudpbx.${SERVICE}.user.created`);
  });

  it.each([
    [
      { type: "user.deleted", data: { account: "a", service: { type: "t", uuid: "u" } } },
      { subject: "pbx.a.t.u.user.deleted" },
    ],
    [
      { type: "user.deleted", data: { account: "a.b", service: { type: "t", uuid: "u" } } },
      { problem: "data.account is missing or cannot be part of a NATS subject" },
    ],
    [
      { type: "user.deleted", data: { account: "a", service: { type: "t" } } },
      { problem: "data.service.uuid is missing or cannot be part of a NATS subject" },
    ],
    [
      { data: { account: "a", service: { type: "t", uuid: "u" } } },
      { problem: "type is missing or cannot be part of a NATS subject" },
    ],
    ["just a string", { problem: "data.account is missing or cannot be part of a NATS subject" }],
  ])("from a file: %j gives %j", (event, expected) => {
    expect(subjectOfUnknownEvent(event)).toEqual(expected);
  });

  it.each([
    ["true", true],
    ["YES", true],
    ["1", true],
    ["false", false],
    ["no", false],
    ["0", false],
    ["maybe", undefined],
  ])("--voicemail %s is %s", (text, value) => {
    expect(parseBooleanFlag(text)).toBe(value);
  });

  it.each([
    ["Local,National, Mobile", ["Local", "National", "Mobile"]],
    ["International Other", ["International Other"]],
    ["", []],
  ])("--calls %j is %j", (text, calls) => {
    expect(parseCallList(text)).toEqual(calls);
  });

  it("copies a file's event with a fresh id and leaves the original alone", () => {
    const original = { id: "old", type: "user.created" };
    expect(withFreshId(original, "new")).toEqual({ id: "new", type: "user.created" });
    expect(original.id).toBe("old");
  });
});

let server: NatsServer;
let nc: NatsConnection;
let jsm: JetStreamManager;
let dir: string;

useNatsWithClient("emit-test", async (started) => {
  ({ server, nc, jsm } = started);
  await ensureEventStream(jsm, { name: "PBX_EVENTS", subjects: ["pbx.>"], create: true });
  dir = mkdtempSync(join(tmpdir(), "hookswitch-emit-"));
});

beforeEach(async () => {
  await jsm.streams.purge("PBX_EVENTS");
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Every message now in PBX_EVENTS, oldest first (bounded by what is pending). */
async function storedEvents(): Promise<JsMsg[]> {
  const consumer = await jetstream(nc).consumers.get("PBX_EVENTS");
  const pending = (await consumer.info(true)).num_pending;
  if (pending === 0) return [];
  const out: JsMsg[] = [];
  for await (const m of await consumer.fetch({ max_messages: pending, expires: 2_000 })) {
    out.push(m);
    if (m.info.pending === 0) break;
  }
  return out;
}

/** Runs `check` while PBX_EVENTS refuses messages beyond `maxMsgs`. */
async function withStreamCap(maxMsgs: number, check: () => Promise<void>): Promise<void> {
  const { config } = await jsm.streams.info("PBX_EVENTS");
  await jsm.streams.update("PBX_EVENTS", {
    ...config,
    max_msgs: maxMsgs,
    discard: DiscardPolicy.New,
  });
  try {
    await check();
  } finally {
    await jsm.streams.update("PBX_EVENTS", { ...config, max_msgs: -1, discard: DiscardPolicy.Old });
  }
}

/** A valid event for a file, with no user fields. */
const fileEvent = (fields: { account?: string; serviceType?: string } = {}) =>
  buildSampleEvent(
    {
      type: "user.created",
      account: fields.account ?? "acme",
      serviceType: fields.serviceType ?? "mycloudpbx",
      serviceUuid: SERVICE,
    },
    { id: "from-file", time: "2026-11-28T17:00:00.000Z" },
  );

const emit = (args: string[], env: Record<string, string> = {}) =>
  runCli(["emit", ...args], { env: { NATS_URL: server.url, ...env } });

describe("hookswitch emit", () => {
  it("publishes N events with the given fields on the right subject and prints their ids", async () => {
    const result = await emit([
      "user.modified",
      "--count",
      "3",
      "--account",
      "globex",
      "--service",
      SERVICE,
      "--service-name",
      "sydney-office",
      "--service-friendly-name",
      "Sydney office",
      "--extension",
      "201",
      "--name",
      "Alice Example",
      "--outbound-number",
      "+61290000000",
      "--voicemail",
      "true",
      "--calls",
      "Local,National",
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const ids = result.stdout.trim().split("\n");
    expect(ids).toHaveLength(3);
    for (const id of ids) expect(id).toMatch(UUID);
    expect(new Set(ids).size).toBe(3);

    const stored = await storedEvents();
    expect(stored.map((m) => m.subject)).toEqual(
      Array(3).fill(`pbx.globex.mycloudpbx.${SERVICE}.user.modified`),
    );
    expect(stored.map((m) => m.headers?.get("Nats-Msg-Id"))).toEqual(ids);
    const event = stored[0]!.json<Record<string, unknown>>();
    expect(event).toMatchObject({
      specversion: "1.0",
      id: ids[0],
      type: "user.modified",
      source: `/accounts/globex/services/${SERVICE}`,
      data: {
        account: "globex",
        service: {
          type: "mycloudpbx",
          uuid: SERVICE,
          name: "sydney-office",
          friendlyName: "Sydney office",
        },
        user: {
          extension: "201",
          name: "Alice Example",
          outboundNumber: "+61290000000",
          hasVoicemail: true,
          enabledCalls: ["Local", "National"],
        },
      },
    });
    expect(Date.now() - Date.parse(event.time as string)).toBeLessThan(60_000);
  });

  it("publishes a file's event as is, and copies of it each with a fresh id", async () => {
    const file = join(dir, "event.json");
    const event = {
      specversion: "1.0",
      id: "from-file",
      source: "/accounts/acme/services/x",
      type: "user.deleted",
      time: "2026-11-28T17:00:00.000Z",
      data: {
        account: "acme",
        service: { type: "mycloudpbx", uuid: SERVICE },
        user: { extension: "300" },
        extra: "kept",
      },
    };
    writeFileSync(file, JSON.stringify(event));
    const once = await emit(["--file", file]);
    expect(once.code).toBe(0);
    expect(once.stdout).toBe("from-file\n");
    expect(once.stderr).toBe("");
    // The same id again, within the duplicate window: not stored, and said so.
    const again = await emit(["--file", file]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe("from-file\n");
    expect(again.stderr).toContain(
      "event from-file was published within the stream's duplicate window already: not stored again",
    );
    const copies = await emit(["--file", file, "--count", "2"]);
    const copyIds = copies.stdout.trim().split("\n");
    expect(copyIds).toHaveLength(2);
    expect(copyIds).not.toContain("from-file");

    const stored = (await storedEvents()).map((m) => m.json<Record<string, unknown>>());
    expect(stored).toEqual([event, { ...event, id: copyIds[0] }, { ...event, id: copyIds[1] }]);
  });

  it("prints each event's id once the stream has stored it, not when all are published", async () => {
    const emitting = spawnCli(["emit", "user.created", "--count", "6", "--rate", "2"], {
      env: { NATS_URL: server.url },
    });
    const ids = () => emitting.output().match(/^[0-9a-f-]{36}$/gm) ?? [];
    await waitFor(() => ids().length >= 1, { what: "the first id", timeoutMs: 10_000 });
    const firstIdAt = Date.now();
    await waitFor(() => ids().length >= 6, { what: "the last id", timeoutMs: 15_000 });
    // The last of the six is published 2.5 s after the first: printed at the end, every id
    // would come at once.
    expect(Date.now() - firstIdAt).toBeGreaterThan(1_000);
    expect(await emitting.exited).toBe(0);
  });

  it("prints the ids of the events stored before a failure and fails naming the first it could not publish", async () => {
    const { config } = await jsm.streams.info("PBX_EVENTS");
    await jsm.streams.update("PBX_EVENTS", { ...config, max_msgs: 3, discard: DiscardPolicy.New });
    try {
      const result = await emit(["user.created", "--count", "6"]);
      expect(result.code).toBe(1);
      expect(result.stdout.trim().split("\n")).toHaveLength(3);
      expect(result.stderr).toMatch(
        /^hookswitch: publishing event [0-9a-f-]{36} failed \(and 2 more after it\): maximum messages exceeded; stored: 3 of 6 events \(their ids are printed\), the other 3 not, or not known to be\n$/,
      );
      expect((await storedEvents()).map((m) => m.json<{ id: string }>().id)).toEqual(
        result.stdout.trim().split("\n"),
      );
    } finally {
      await jsm.streams.update("PBX_EVENTS", {
        ...config,
        max_msgs: -1,
        discard: DiscardPolicy.Old,
      });
    }
  });

  it("publishes nothing more at --rate once a publish failed, though the failure came while waiting", async () => {
    const { config } = await jsm.streams.info("PBX_EVENTS");
    await jsm.streams.update("PBX_EVENTS", { ...config, max_msgs: 1, discard: DiscardPolicy.New });
    try {
      const result = await emit(["user.created", "--count", "5", "--rate", "20"]);
      expect(result.code).toBe(1);
      expect(result.stdout.trim().split("\n")).toHaveLength(1);
      // Only the second was refused: the third, due while its failure came, was not sent.
      expect(result.stderr).toMatch(
        /^hookswitch: publishing event [0-9a-f-]{36} failed: maximum messages exceeded/,
      );
    } finally {
      await jsm.streams.update("PBX_EVENTS", {
        ...config,
        max_msgs: -1,
        discard: DiscardPolicy.Old,
      });
    }
  });

  it("fails a single event's publish without a tally of stored events", async () => {
    expect((await emit(["user.created"])).code).toBe(0);
    await withStreamCap(1, async () => {
      const result = await emit(["user.created"]);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).toMatch(
        /^hookswitch: publishing event [0-9a-f-]{36} failed: maximum messages exceeded\n$/,
      );
    });
  });

  it("stops publishing soon after a failure when no rate paces it", async () => {
    await withStreamCap(10, async () => {
      const result = await emit(["user.created", "--count", "2000"]);
      expect(result.code).toBe(1);
      expect(result.stdout.trim().split("\n")).toHaveLength(10);
      const more = /failed \(and (\d+) more after it\)/.exec(result.stderr);
      // Only publishes already awaiting their acks fail after the first, not all the rest.
      expect(Number(more?.[1])).toBeLessThan(1_000);
      expect(result.stderr).toContain("stored: 10 of 2000 events");
    });
  });

  it("publishes a file's bytes as they are: a BOM, the keys' order, numbers as written", async () => {
    const text = JSON.stringify({ ...fileEvent(), id: "as-written", x: 1 }).replace(
      '"x":1',
      '"x":1e20,"y":1.50',
    );
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    const file = join(dir, "as-written.json");
    writeFileSync(file, bytes);
    const result = await emit(["--file", file]);
    expect(result.code).toBe(0);
    const [stored] = await storedEvents();
    expect(Buffer.from(stored!.data).equals(bytes)).toBe(true);
  });

  it("publishes a file's event whose id no header can carry, and knows it again", async () => {
    // CR and LF: the Nats-Msg-Id header could not hold the id, and the publish failed.
    const event = { ...fileEvent(), id: "evt\r\nNats-Expected-Stream: NOPE\u001b]0;x\u0007" };
    const file = join(dir, "crlf-id.json");
    writeFileSync(file, JSON.stringify(event));
    const once = await emit(["--file", file]);
    expect(once.code).toBe(0);
    expect(once.stdout).toBe("evt\ufffd\ufffdNats-Expected-Stream: NOPE\ufffd]0;x\ufffd\n");
    const again = await emit(["--file", file]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("was published within the stream's duplicate window already");
    const stored = (await storedEvents()).map((m) => m.json<Record<string, unknown>>());
    expect(stored).toEqual([event]);
  });

  it("publishes a file's event of 900 KB whose id is 400 KB of it", async () => {
    // As the Nats-Msg-Id header too, the id made the message larger than NATS's 1 MiB.
    const big = fileEvent();
    const event = {
      ...big,
      id: "I".repeat(400_000),
      data: { ...big.data, user: { name: "N".repeat(500_000) } },
    };
    const file = join(dir, "long-id.json");
    writeFileSync(file, JSON.stringify(event));
    const result = await emit(["--file", file]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${event.id}\n`);
    // Stored all the same: a daemon with a larger --max-event-size takes it.
    expect(result.stderr).toMatch(
      /warning: this event is 880 KiB, larger than the daemon's default --max-event-size \(64KiB\)/,
    );
  });

  it("warns of no event within the daemon's default --max-event-size", async () => {
    const result = await emit(["user.created"]);
    expect(result.code).toBe(0);
    expect(result.stderr).not.toMatch(/warning/);
  });

  it("takes TYPE on the command line over a file named only by HOOKSWITCH_EMIT_FILE", async () => {
    const file = join(dir, "from-env.json");
    writeFileSync(file, JSON.stringify(fileEvent()));
    const result = await emit(["user.deleted"], { HOOKSWITCH_EMIT_FILE: file });
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).not.toBe("from-file");
    const both = await emit(["user.deleted", "--file", file]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/give TYPE or --file, not both/);
  });

  it.each<[string, string | Uint8Array, RegExp]>([
    [
      "a CloudEvents 0.3 event",
      JSON.stringify({ ...fileEvent(), specversion: "0.3" }),
      /\(specversion must be "1\.0"\): it would be dead-lettered/,
    ],
    [
      "an event whose user name is a number",
      JSON.stringify(fileEvent()).replace('"user":{}', '"user":{"name":42}'),
      /\(data\.user\.name must be a string or null\)/,
    ],
    [
      "an event nested 100 levels deep",
      JSON.stringify(fileEvent()).replace(
        '"data":{',
        `"deep":${"[".repeat(100)}${"]".repeat(100)},"data":{`,
      ),
      /\(event nested deeper than 64 levels\)/,
    ],
    [
      "bytes that are not UTF-8",
      Buffer.concat([Buffer.from(JSON.stringify(fileEvent())), Buffer.from([0xff])]),
      /\(not valid JSON: the message is not UTF-8 text\)/,
    ],
  ])("refuses %s from a file, publishing nothing (exit 2)", async (_what, content, reason) => {
    const file = join(dir, "refused.json");
    writeFileSync(file, content);
    const result = await emit(["--file", file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(reason);
    expect(await storedEvents()).toEqual([]);
  });

  it("refuses a file larger than an event may be, reading no more of it than that", async () => {
    const result = await runCli(["emit", "--file", "/dev/zero"], {
      env: { NATS_URL: server.url },
      timeoutMs: 10_000,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "cannot read /dev/zero: it holds more than 983040 bytes, the most an event may",
    );
    expect(await storedEvents()).toEqual([]);
  });

  it("keeps to the rate it is given", async () => {
    const started = Date.now();
    const result = await emit(["user.created", "--count", "5", "--rate", "10"]);
    expect(result.code).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(await storedEvents()).toHaveLength(5);
  });

  it("publishes a large count quickly", async () => {
    const started = Date.now();
    const result = await emit(["user.created", "--count", "2000"]);
    expect(result.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(result.stdout.trim().split("\n")).toHaveLength(2000);
    expect((await jsm.streams.info("PBX_EVENTS")).state.messages).toBe(2000);
  });

  it("fails fast with a clear message when NATS is down", async () => {
    const port = await freePort();
    const started = Date.now();
    const result = await emit(["user.created"], { NATS_URL: `nats://127.0.0.1:${port}` });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `cannot reach NATS at nats://127.0.0.1:${port}: connection refused — start nats-server or set NATS_URL`,
    );
    expect(Date.now() - started).toBeLessThan(8_000);
  });

  it("says no stream listens when none does", async () => {
    const file = join(dir, "odd.json");
    writeFileSync(file, JSON.stringify(fileEvent({ account: "a", serviceType: "t" })));
    await jsm.streams.update("PBX_EVENTS", { subjects: ["pbx.acme.>"] });
    try {
      const refused = await emit(["--file", file]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(
        `no stream listens on pbx.a.t.${SERVICE}.user.created — start \`hookswitch run\` once or create the stream`,
      );
    } finally {
      await jsm.streams.update("PBX_EVENTS", { subjects: ["pbx.>"] });
    }
  });

  it("quotes the start of an event's subject without the terminal escapes in it", async () => {
    const file = join(dir, "hostile-account.json");
    const account = `evil\u001b]0;pwned\u0007${"A".repeat(300)}`;
    writeFileSync(file, JSON.stringify(fileEvent({ account, serviceType: "mycloudpbx" })));
    await jsm.streams.update("PBX_EVENTS", { subjects: ["pbx.acme.>"] });
    try {
      const refused = await emit(["--file", file]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain("no stream listens on pbx.evil\ufffd]0;pwned\ufffdAAA");
      expect(refused.stderr).toContain("A… — start `hookswitch run` once");
      // eslint-disable-next-line no-control-regex -- no control character may be left but \n
      expect(refused.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    } finally {
      await jsm.streams.update("PBX_EVENTS", { subjects: ["pbx.>"] });
    }
  });

  it.each([
    [["user.exploded"], /unknown event type "user.exploded"/],
    [[], /emit needs TYPE/],
    [["user.created", "--count", "0"], /--count must be/],
    [["user.created", "--count", "1e3"], /--count must be a whole number/],
    [["user.created", "--rate", "-1"], /--rate must be/],
    [["user.created", "--voicemail", "maybe"], /--voicemail must be true or false/],
    [["user.created", "--account", "a.b"], /check --account/],
    [
      ["user.created", "--service", "not-a-uuid"],
      /would not be valid \(data.service.uuid must be a UUID\)/,
    ],
    [["user.created", "--file", "x.json"], /TYPE or --file, not both/],
    [["--file", "/nonexistent/event.json"], /cannot read/],
    [["--file", "x.json", "--account", "other"], /--file publishes .* so --account would change/],
    [
      ["--file", "x.json", "--name", "Bob", "--voicemail", "maybe"],
      /so --name, --voicemail would change nothing: edit the file/,
    ],
  ])("exits 2 on %j", async (args, message) => {
    const result = await emit(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it("names the variable that gave the file when event flags come beside it", async () => {
    const result = await emit(["--extension", "301"], { HOOKSWITCH_EMIT_FILE: "x.json" });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /HOOKSWITCH_EMIT_FILE \(--file\) publishes the file's event as it is, so --extension would change nothing: edit the file, or give TYPE instead/,
    );
  });

  it.each<[string[], RegExp]>([
    [["--file", "x.json", "--count", "2", "--rate", "0"], /--rate must be/],
    [
      ["user.created", "--rate", "fast"],
      /--rate must be a number > 0 \(events a second\), not "fast"/,
    ],
    [
      ["user.created", "--rate", "Infinity"],
      /--rate must be a number > 0 \(events a second\), not "Infinity"/,
    ],
  ])("exits 2 on %j", async (args, message) => {
    const result = await emit(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it("refuses a file whose event cannot be put on a subject, naming the field", async () => {
    const file = join(dir, "dotted-account.json");
    writeFileSync(file, JSON.stringify(fileEvent({ account: "a.b" })));
    const refused = await emit(["--file", file]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      `${file}: data.account is missing or cannot be part of a NATS subject`,
    );
    expect(await storedEvents()).toHaveLength(0);
  });
});
