/**
 * A nats-server older than 2.10.27 can pass messages by once a consumer is created again
 * (nats/server-version.ts): the daemon says so at start, and says nothing of it on a newer
 * one; on the older server it keeps its parked deliveries' consumers, which a newer one may
 * remove after an hour unused, and it tells of retries its delivery consumer passes by.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { PARKED_CONSUMER_IDLE_MS, parkedConsumerName } from "../../src/nats/durable-consumers.js";
import { DELIVERY_STREAM } from "../../src/nats/layout.js";
import { keepsSubjectIndex } from "../../src/nats/server-version.js";
import { webhookId } from "../../src/delivery/webhook-id.js";
import { integrationYaml } from "../support/config-dir.js";
import { leaveOneRetryBehind } from "../support/passed-by.js";
import { makeEvent, startTracked, tempDir, writeIntegration } from "../support/daemon.js";
import { natsServerVersion } from "../support/nats-server.js";
import { useRealParts } from "../support/real-parts.js";
import { waitFor } from "../support/wait.js";

type LogLine = { level: string; msg: string; natsServer?: string };

const version = natsServerVersion();
const old = !keepsSubjectIndex(version);

describe("hookswitch run on the nats-server the tests run", () => {
  const parts = useRealParts();

  it(`${old ? "warns" : "does not warn"} at start that nats-server ${version} may pass messages by`, async () => {
    const dir = tempDir();
    parts.cleanups.push(() => dir.cleanup());
    writeIntegration(dir.path, "crm", { url: `${parts.receiver.url}/crm` });
    const daemon = await startTracked(parts.daemons, { natsUrl: parts.nats.url, dir: dir.path });
    const lines = () =>
      daemon
        .output()
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as LogLine);
    await waitFor(() => lines().some((line) => line.msg.includes("is running")), {
      what: "the daemon running",
    });
    const warned = lines().filter((line) => line.msg.includes("is older than 2.10.27"));
    expect(warned.map((line) => [line.level, line.natsServer])).toEqual(
      old ? [["warn", version]] : [],
    );
    expect(await daemon.stop()).toBe(0);
  });
});

describe("a parked deliveries' consumer on the nats-server the tests run", () => {
  let answer = () => undefined as void;
  const answered = new Promise<void>((resolve) => (answer = resolve));
  // The first request is held, so that the next deliveries are parked; the others answer.
  const parts = useRealParts((_req, index) => (index === 0 ? { until: answered } : {}));

  it(`is ${old ? "kept however long it is unused" : "left to NATS to remove after an hour unused"} on nats-server ${version}`, async () => {
    const dir = tempDir();
    parts.cleanups.push(() => dir.cleanup());
    writeFileSync(
      join(dir.path, "busy.yaml"),
      integrationYaml("busy", {
        webhook: { url: `${parts.receiver.url}/busy`, maxInFlight: 1, timeout: "60s" },
      }),
    );
    const daemon = await startTracked(parts.daemons, { natsUrl: parts.nats.url, dir: dir.path });
    for (let i = 0; i < 3; i++) await parts.publisher.publish(makeEvent());
    const jsm = await jetstreamManager(parts.publisher.nc);
    const name = parkedConsumerName("hookswitch", "busy");
    const parked = () => jsm.consumers.info(DELIVERY_STREAM, name).catch(() => undefined);
    await waitFor(async () => (await parked()) !== undefined, { what: "the parked consumer" });

    expect((await parked())?.config.inactive_threshold ?? 0).toBe(
      old ? 0 : nanos(PARKED_CONSUMER_IDLE_MS),
    );
    answer();
    await waitFor(() => parts.receiver.requests.length === 3, { what: "all three deliveries" });
    expect(await daemon.stop()).toBe(0);
  }, 30_000);
});

describe("a retry the delivery consumer passes by, on the nats-server the tests run", () => {
  const parts = useRealParts();

  it(`is ${old ? "told of, and shown in the metrics" : "delivered"} on nats-server ${version}`, async () => {
    const dir = tempDir();
    parts.cleanups.push(() => dir.cleanup());
    writeIntegration(dir.path, "crm", { url: `${parts.receiver.url}/crm` });
    const event = makeEvent();
    const record = { v: 1, webhookId: webhookId("crm", event.id), integration: "crm", event };
    const jsm = await jetstreamManager(parts.publisher.nc);
    await leaveOneRetryBehind(jsm, "hookswitch", "crm", JSON.stringify(record));

    const daemon = await startTracked(parts.daemons, { natsUrl: parts.nats.url, dir: dir.path });
    const metric = async () =>
      /^hookswitch_waiting_retries_passed_by (\d+)$/m.exec(
        await (await fetch(`${daemon.http}/metrics`)).text(),
      )?.[1];
    if (old) {
      await waitFor(async () => (await metric()) === "1", {
        timeoutMs: 45_000,
        what: "the retry passed by, in the metrics",
      });
      expect(daemon.output()).toContain(
        "1 retry or replay waits in stream HOOKSWITCH_DELIVERIES that consumer " +
          "hookswitch-deliveries will not hand out",
      );
      expect(parts.receiver.requests).toHaveLength(0);
    } else {
      await waitFor(() => parts.receiver.requests.length === 1, { what: "the retry, delivered" });
      await waitFor(async () => (await metric()) === "0", { what: "a look that found none" });
      expect(daemon.output()).not.toContain("will not hand out");
    }
    expect(await daemon.stop()).toBe(0);
  }, 60_000);
});
