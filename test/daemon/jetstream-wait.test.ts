import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import {
  killLeftOver,
  startTracked,
  tempDir,
  writeIntegration,
  type RunningDaemon,
} from "../support/daemon.js";
import { sleep, waitFor } from "../support/wait.js";

const readyz = async (http: string) => {
  const res = await fetch(`${http}/readyz`);
  return { status: res.status, body: await res.text() };
};

describe("hookswitch run while NATS answers but JetStream does not", () => {
  let nats: NatsServer;
  let dir: ReturnType<typeof tempDir>;
  const daemons: RunningDaemon[] = [];

  beforeEach(async () => {
    nats = await startNatsServer([], { jetstream: false });
    dir = tempDir();
    writeIntegration(dir.path, "crm", { url: "http://127.0.0.1:9/crm" });
  });
  afterEach(async () => {
    await killLeftOver(daemons);
    await nats.dispose();
    dir.cleanup();
  });

  const start = (args: string[] = []) =>
    startTracked(daemons, {
      natsUrl: nats.url,
      dir: dir.path,
      args,
      env: { LOG_LEVEL: "info" },
      waitReady: false,
    });

  const warnings = (d: RunningDaemon) =>
    d
      .output()
      .split("\n")
      .filter((l) => l.includes("waiting for JetStream:"))
      .map((l) => JSON.parse(l) as { level: string; msg: string });

  it("stays up, not ready with the reason, warns each time, and is ready once JetStream is on", async () => {
    const d = await start();
    const down = await waitFor(
      async () => {
        const res = await readyz(d.http).catch(() => undefined);
        return res?.body.includes("JetStream") ? res : undefined;
      },
      { timeoutMs: 15_000, what: "/readyz naming JetStream" },
    );
    expect(down.status).toBe(503);
    expect(down.body).toBe(
      "not ready: waiting for JetStream: JetStream is not enabled on the NATS server (no JetStream answered)\n",
    );
    // The first waits are 1 s and 2 s: a second warning within a few seconds.
    await waitFor(() => warnings(d).length >= 2, { timeoutMs: 10_000, what: "a second warning" });
    for (const w of warnings(d)) {
      expect(w.level).toBe("warn");
      expect(w.msg).toMatch(
        /JetStream is not enabled on the NATS server .*start nats-server with -js/,
      );
    }
    expect(d.child.exitCode).toBeNull();
    expect(d.output()).not.toMatch(/"level":"fatal"/);

    await nats.stop();
    await nats.start({ jetstream: true });
    await waitFor(async () => (await readyz(d.http).catch(() => undefined))?.status === 200, {
      timeoutMs: 30_000,
      what: "/readyz 200 once JetStream is on",
    });
    expect(d.output()).toContain("JetStream answers now");
    expect(await d.stop()).toBe(0);
  }, 60_000);

  it("exits 0 promptly on SIGTERM while it waits, with --strict too", async () => {
    const d = await start(["--strict"]);
    await waitFor(() => warnings(d).length >= 1, { timeoutMs: 15_000, what: "the first warning" });
    await sleep(200);
    expect(d.child.exitCode).toBeNull();
    const started = Date.now();
    expect(await d.stop()).toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(d.output()).toContain('"msg":"stopped"');
    expect(d.output()).not.toMatch(/"level":"fatal"/);
  }, 30_000);
});
