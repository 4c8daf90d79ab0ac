/**
 * A stop that comes while the daemon still starts: while it waits for its first NATS
 * connection, the wait ends at once; while it opens its HTTP endpoints or reads its files,
 * what it opens is closed; while it sets up its JetStream watches, no background read is
 * started. Nothing of it is left in the process, neither retries nor a connection, a server
 * or a watch.
 */
import { spawn } from "node:child_process";
import { pathToFileURL } from "node:url";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createDaemon, type DaemonSettings } from "../../src/daemon/daemon.js";
import { connectNats } from "../../src/nats/connection.js";
import { ADVISORY_STREAM } from "../../src/nats/advisory-stream.js";
import { DELIVERY_STREAM } from "../../src/nats/layout.js";
import { tempDir, writeIntegration } from "../support/daemon.js";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { REPO } from "../support/cli.js";
import { freePort, sleep, waitFor } from "../support/wait.js";

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

/**
 * Runs `body` in a process of its own with `createDaemon` and `pino` imported and `settings`
 * as `settings` (no exit call: only what is still running would keep the process alive):
 * its exit code, or "still running" after 10 s, and its output.
 */
async function runDaemonScript(settings: DaemonSettings, body: string) {
  const daemonModule = pathToFileURL(`${REPO}dist/daemon/daemon.js`).href;
  const script = `
    const { createDaemon } = await import(${JSON.stringify(daemonModule)});
    const { default: pino } = await import("pino");
    const settings = ${JSON.stringify(settings)};
    ${body}
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    cwd: REPO,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  cleanups.push(() => child.exitCode === null && child.kill("SIGKILL"));
  const ended = await Promise.race([exited, sleep(10_000).then(() => "still running")]);
  return { ended, output };
}

describe("hookswitch run stopped while it waits for NATS", () => {
  it("ends its start at once, and makes no connection once the server is up", async () => {
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
    await expect(started).resolves.toBeUndefined();

    await server.start();
    // Longer than the wait's retry period: a retry left running would connect by then.
    await sleep(2_500);
    expect(await connections(monitorPort)).toBe(0);
  }, 30_000);

  it("leaves nothing running in its process: the process ends on its own", async () => {
    const dir = tempDir();
    cleanups.push(() => dir.cleanup());
    const settings = await settingsFor(`nats://127.0.0.1:${await freePort()}`, dir.path);
    // Started, left to wait past its first warning, stopped.
    const { ended, output } = await runDaemonScript(
      settings,
      `
      const daemon = createDaemon(settings, pino({ level: "warn" }));
      void daemon.start();
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      await daemon.stop();
      process.stderr.write("stopped\\n");
      `,
    );
    expect(output).toContain("waiting for NATS at nats://127.0.0.1:");
    expect(output).toContain("stopped");
    expect(ended).toBe(0);
  }, 30_000);
});

describe("hookswitch run stopped before it has opened its endpoints or read its files", () => {
  /** A process that starts a daemon and stops it `when`: its exit code, and its log's messages. */
  async function stoppedAtStart(when: string, files: number) {
    const dir = tempDir();
    cleanups.push(() => dir.cleanup());
    for (let i = 0; i < files; i++) {
      writeIntegration(dir.path, `crm-${i}`, { url: `http://127.0.0.1:9/crm-${i}` });
    }
    const settings = await settingsFor(`nats://127.0.0.1:${await freePort()}`, dir.path);
    const { ended, output } = await runDaemonScript(
      settings,
      `
      const daemon = createDaemon(settings, pino({ level: "info" }));
      const started = daemon.start();
      ${when}
      await Promise.all([started, daemon.stop()]);
      `,
    );
    const messages = output
      .split("\n")
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { msg: string }).msg);
    return { ended, messages };
  }

  it("at once: it ends on its own, its last word the stop", async () => {
    const { ended, messages } = await stoppedAtStart("", 1);
    expect(ended).toBe(0);
    expect(messages.at(-1)).toBe("stopped");
    expect(messages.join("\n")).not.toMatch(/starting|config generation/);
  }, 30_000);

  it("with its endpoints open, while it reads 300 files: it ends on its own", async () => {
    const { ended, messages } = await stoppedAtStart(
      "while (!daemon.httpAddress()) await new Promise((resolve) => setImmediate(resolve));",
      300,
    );
    expect(ended).toBe(0);
    expect(messages.at(-1)).toBe("stopped");
    expect(messages.some((msg) => /^hookswitch \S+ starting/.test(msg))).toBe(true);
    expect(messages.join("\n")).not.toMatch(/waiting for NATS|is running/);
  }, 30_000);
});

describe("hookswitch run stopped while it sets up its JetStream watches", () => {
  it("starts no background read: no look for parked deliveries follows the stop", async () => {
    const server = await startNatsServer();
    cleanups.push(() => server.dispose());
    const dir = tempDir();
    cleanups.push(() => dir.cleanup());
    writeIntegration(dir.path, "crm", { url: "http://127.0.0.1:9/crm" });
    // JetStream's API is requests on subjects: another client of the account sees them.
    const spy = await connectNats(
      { servers: [server.url], auth: { kind: "none" } },
      { name: "api-spy", waitOnFirstConnect: false },
    );
    cleanups.push(() => spy.close());
    const daemon = createDaemon(await settingsFor(server.url, dir.path), pino({ level: "silent" }));
    const afterStop: string[] = [];
    let stopping: Promise<void> | undefined;
    spy.subscribe("$JS.API.>", {
      callback: (_err, msg) => {
        if (stopping) afterStop.push(msg.subject);
        // The advisories' stream is looked up just before the background reads start.
        else if (msg.subject === `$JS.API.STREAM.INFO.${ADVISORY_STREAM}`) stopping = daemon.stop();
      },
    });
    await spy.flush();
    const started = daemon.start();
    await waitFor(() => stopping !== undefined, {
      timeoutMs: 10_000,
      what: "the advisories' set-up",
    });
    await Promise.all([started, stopping]);
    await sleep(200);
    expect(afterStop).not.toContain(`$JS.API.STREAM.INFO.${DELIVERY_STREAM}`);
  }, 30_000);
});
