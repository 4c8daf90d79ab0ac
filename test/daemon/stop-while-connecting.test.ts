/**
 * A stop that comes while the daemon still waits for its first NATS connection: the start is
 * abandoned, and a connection that opens afterwards is closed, not left to the process.
 */
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createDaemon, type DaemonSettings } from "../../src/daemon/daemon.js";
import { tempDir, writeIntegration } from "../support/daemon.js";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { freePort, waitFor } from "../support/wait.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function settingsFor(natsUrl: string, dir: string): Promise<DaemonSettings> {
  return {
    dir,
    strict: false,
    httpAddr: `127.0.0.1:${await freePort()}`,
    nats: {
      servers: [natsUrl],
      auth: { kind: "none" },
      jetstream: {
        stream: "PBX_EVENTS",
        subjects: ["pbx.>"],
        consumer: "hookswitch",
        deliver: "new",
        createStream: true,
        replicas: 1,
      },
    },
    egress: { deny: [], allow: [] },
    maxInFlight: 8,
    graceMs: 1_000,
    ackWaitMs: 30_000,
    resyncIntervalMs: 60_000,
  };
}

/** Clients connected to the server, from its monitoring endpoint. */
async function connections(monitorPort: number): Promise<number> {
  const connz = await fetch(`http://127.0.0.1:${monitorPort}/connz`);
  return ((await connz.json()) as { num_connections: number }).num_connections;
}

describe("hookswitch run stopped while it waits for NATS", () => {
  it("closes the connection that opens after the stop", async () => {
    const monitorPort = await freePort();
    const server: NatsServer = await startNatsServer(["-m", String(monitorPort)]);
    cleanups.push(() => server.dispose());
    await server.stop();
    const dir = tempDir();
    cleanups.push(() => dir.cleanup());
    writeIntegration(dir.path, "crm", { url: "http://127.0.0.1:9/crm" });

    const daemon = createDaemon(await settingsFor(server.url, dir.path), pino({ level: "silent" }));
    const started = daemon.start();
    await waitFor(
      async () => {
        const address = daemon.httpAddress();
        if (!address) return false;
        const ready = await fetch(`http://${address}/readyz`);
        return (await ready.text()).includes("not connected to NATS");
      },
      { timeoutMs: 10_000, what: "the daemon waiting for NATS" },
    );
    await daemon.stop();

    await server.start();
    // The start goes on once it is connected, then gives up: it was stopped.
    await expect(started).resolves.toBeUndefined();
    await waitFor(async () => (await connections(monitorPort)) === 0, {
      timeoutMs: 5_000,
      what: "no client left connected",
    });
  }, 30_000);
});
