import { readFileSync, writeFileSync } from "node:fs";
import { connect as tcpConnect } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { startReceiver, type Receiver } from "../support/receiver.js";
import { REPO } from "../support/cli.js";
import { VERSION } from "../../src/version.js";
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
import { freePort, waitFor } from "../support/wait.js";
import { rawRequest } from "../support/raw-http.js";

const SERVICE = "5d7a1c2e-0b1f-4c3d-8e9f-0a1b2c3d4e5f";

/**
 * The core metrics of docs/operating.md's "Metrics reference" (events, deliveries, attempts,
 * dead letters, configuration, integrations, NATS, readiness, build), by their exposed names.
 */
const HOOKSWITCH_METRICS = [
  "hookswitch_events_received_total",
  "hookswitch_events_invalid_total",
  "hookswitch_deliveries_total",
  "hookswitch_attempt_duration_seconds",
  "hookswitch_deliveries_in_flight",
  "hookswitch_dead_letters",
  "hookswitch_config_generation",
  "hookswitch_config_last_reload_successful",
  "hookswitch_integrations",
  "hookswitch_nats_connected",
  "hookswitch_ready",
  "hookswitch_build_info",
];

const DEFAULT_PROCESS_METRICS = [
  "hookswitch_process_cpu_seconds_total",
  "hookswitch_process_resident_memory_bytes",
  "hookswitch_nodejs_eventloop_lag_seconds",
  "hookswitch_nodejs_heap_size_used_bytes",
];

/** Sends raw bytes and returns everything the server answers before it closes. */
const text = async (url: string, init?: RequestInit) => {
  const res = await fetch(url, init);
  return { status: res.status, headers: res.headers, body: await res.text() };
};

/** The revision `npm run build` recorded beside the daemon's code (scripts/build-info.mjs). */
function builtRevision(): string {
  const info = JSON.parse(readFileSync(join(REPO, "dist/build-info.json"), "utf8")) as {
    revision?: string;
  };
  return info.revision ?? "unknown";
}

describe("the daemon's HTTP endpoints while NATS is unreachable", () => {
  let dir: ReturnType<typeof tempDir>;
  let daemon: RunningDaemon;

  beforeAll(async () => {
    dir = tempDir();
    writeIntegration(dir.path, "crm", { url: "http://127.0.0.1:9/crm" });
    const closedPort = await freePort();
    daemon = await startDaemon({
      natsUrl: `nats://127.0.0.1:${closedPort}`,
      dir: dir.path,
      waitReady: false,
    });
    await waitFor(
      () =>
        fetch(`${daemon.http}/healthz`).then(
          (r) => r.ok,
          () => false,
        ),
      { timeoutMs: 15_000, what: "/healthz" },
    );
  });
  afterAll(async () => {
    await stopThenCleanUp(daemon, () => dir.cleanup());
  });

  it("answers /healthz 200 and /readyz 503 with the reason", async () => {
    expect((await text(`${daemon.http}/healthz`)).status).toBe(200);
    // The endpoints are up before the folder is read: the first reason may be that one.
    const reasons = new Set<string>();
    await waitFor(
      async () => {
        const ready = await text(`${daemon.http}/readyz`);
        expect(ready.status).toBe(503);
        reasons.add(ready.body.trim());
        return /not connected to NATS/.test(ready.body);
      },
      { timeoutMs: 15_000, what: "/readyz to say NATS is not connected" },
    );
    for (const reason of reasons) {
      expect(reason).toMatch(/^not ready: (configuration not loaded yet|not connected to NATS)$/);
    }
  });

  it("still serves the status page and the loaded integrations", async () => {
    const api = JSON.parse((await text(`${daemon.http}/api/integrations`)).body) as {
      ready: boolean;
      integrations: { name: string }[];
    };
    expect(api.ready).toBe(false);
    expect(api.integrations.map((i) => i.name)).toEqual(["crm"]);
    expect((await text(`${daemon.http}/`)).body).toContain("Not ready");
  });

  it("says in its log that it is waiting for NATS, and where", async () => {
    const line = await waitFor(
      () =>
        daemon
          .output()
          .split("\n")
          .find((l) => l.includes("waiting for NATS at nats://127.0.0.1:")),
      { timeoutMs: 10_000, what: "the waiting-for-NATS warning" },
    );
    const entry = JSON.parse(line) as { level: string; waitedSeconds: unknown; msg: string };
    expect(entry.level).toBe("warn");
    expect(typeof entry.waitedSeconds).toBe("number");
    expect(entry.msg).toContain("(connection refused: start nats-server or set NATS_URL)");
  });
  it("cuts off a client that trickles its headers within a second of the 10 s headers timeout", async () => {
    const { port } = new URL(daemon.http);
    const socket = tcpConnect(Number(port), "127.0.0.1");
    const opened = Date.now();
    let answer = "";
    socket.on("data", (chunk: Buffer) => (answer += chunk.toString("latin1")));
    socket.on("error", () => undefined);
    socket.write("GET /metrics HTTP/1.1\r\nHost: x\r\n");
    // A header line every second, never the blank line that ends them: bounded to 20 lines.
    let lines = 0;
    const trickle = setInterval(() => {
      if (++lines > 20) clearInterval(trickle);
      else socket.write(`X-Slow-${lines}: y\r\n`);
    }, 1_000);
    try {
      const closedAfterMs = await new Promise<number>((resolve) => {
        socket.on("close", () => resolve(Date.now() - opened));
        setTimeout(() => resolve(Number.POSITIVE_INFINITY), 20_000);
      });
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(closedAfterMs).toBeGreaterThanOrEqual(9_500);
      expect(closedAfterMs).toBeLessThan(13_000);
    } finally {
      clearInterval(trickle);
      socket.destroy();
    }
  }, 30_000);
});

describe("the daemon waiting for a NATS server that refuses what it is given", () => {
  let nats: NatsServer;
  let dir: ReturnType<typeof tempDir>;
  let daemon: RunningDaemon;

  beforeAll(async () => {
    nats = await startNatsServer();
    dir = tempDir();
    writeIntegration(dir.path, "crm", { url: "http://127.0.0.1:9/crm" });
    // tls:// requires TLS, which this server does not offer: it is up, and will never do.
    daemon = await startDaemon({
      natsUrl: nats.url.replace(/^nats:/, "tls:"),
      dir: dir.path,
      waitReady: false,
    });
  });
  afterAll(async () => {
    await stopThenCleanUp(
      daemon,
      () => dir.cleanup(),
      () => nats.dispose(),
    );
  });

  it("says why in its waiting warning, not only that NATS is not reachable", async () => {
    const line = await waitFor(
      () =>
        daemon
          .output()
          .split("\n")
          .find((l) => l.includes("waiting for NATS at tls://127.0.0.1:")),
      { timeoutMs: 15_000, what: "the waiting-for-NATS warning" },
    );
    expect((JSON.parse(line) as { msg: string }).msg).toContain(
      "the server offers no TLS, which tls:// requires",
    );
  });
});

describe("the daemon's HTTP endpoints with NATS", () => {
  let nats: NatsServer;
  let receiver: Receiver;
  let publisher: Publisher;
  let dir: ReturnType<typeof tempDir>;
  let daemon: RunningDaemon;
  let port: number;

  beforeAll(async () => {
    nats = await startNatsServer();
    receiver = await startReceiver((req) =>
      req.url.startsWith("/gone") ? { status: 410, body: "gone" } : { status: 200 },
    );
    publisher = await connectPublisher(nats.url);
    dir = tempDir();
    writeIntegration(dir.path, "crm", { url: `${receiver.url}/crm?key=url-query-secret` });
    writeIntegration(
      dir.path,
      "billing",
      { url: `${receiver.url}/billing` },
      { enabled: false, scope: { service: SERVICE } },
    );
    writeIntegration(dir.path, "gone", { url: `${receiver.url}/gone` });
    writeFileSync(join(dir.path, "broken.yaml"), "apiVersion: hookswitch/v1\nname: Broken_Name\n");
    daemon = await startDaemon({ natsUrl: nats.url, dir: dir.path });
    port = Number(new URL(daemon.http).port);
    await publisher.publish(makeEvent());
    await waitFor(() => receiver.requests.length >= 2, { what: "two webhooks" });
    await waitFor(
      async () => (await text(`${daemon.http}/metrics`)).body.includes('outcome="dead-lettered"'),
      { what: "the dead-letter to be counted" },
    );
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

  it("answers /readyz 200 when connected and loaded", async () => {
    const ready = await text(`${daemon.http}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.body).toBe("ready\n");
  });

  it("exposes every hookswitch metric and the default process metrics", async () => {
    const res = await text(`${daemon.http}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const name of [...HOOKSWITCH_METRICS, ...DEFAULT_PROCESS_METRICS]) {
      expect(res.body, name).toMatch(new RegExp(`^# TYPE ${name} `, "m"));
    }
    const types = [...res.body.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]);
    expect(types.filter((name) => !name!.startsWith("hookswitch_"))).toEqual([]);
    const { version } = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as {
      version: string;
    };
    expect(res.body).toContain(
      `hookswitch_build_info{version="${version}",revision="${builtRevision()}",nodejs="${process.versions.node}"} 1\n`,
    );
  });

  it("counts what happened, labelled by integration name only", async () => {
    const { body } = await text(`${daemon.http}/metrics`);
    expect(body).toMatch(/^hookswitch_events_received_total 1$/m);
    expect(body).toMatch(
      /^hookswitch_deliveries_total\{integration="crm",outcome="delivered"\} 1$/m,
    );
    expect(body).toMatch(
      /^hookswitch_deliveries_total\{integration="gone",outcome="dead-lettered"\} 1$/m,
    );
    expect(body).toMatch(/^hookswitch_attempt_duration_seconds_count\{integration="crm"\} 1$/m);
    expect(body).toMatch(/^hookswitch_integrations\{state="enabled"\} 2$/m);
    expect(body).toMatch(/^hookswitch_integrations\{state="disabled"\} 1$/m);
    expect(body).toMatch(/^hookswitch_integrations\{state="invalid"\} 1$/m);
    expect(body).toMatch(/^hookswitch_config_last_reload_successful 0$/m);
    // One file has been invalid since the start: there was no successful reload to time.
    expect(body).not.toContain("hookswitch_config_last_reload_success_timestamp_seconds");
    expect(body).toMatch(/^hookswitch_nats_connected 1$/m);

    const labelValues = new Set(
      [...body.matchAll(/(\w+)="([^"]*)"/g)].map((m) => `${m[1]}=${m[2]}`),
    );
    const integrationLabels = [...labelValues].filter((l) => l.startsWith("integration="));
    // billing (disabled) delivered nothing: its outcomes are there, at 0.
    expect(integrationLabels.sort()).toEqual([
      "integration=billing",
      "integration=crm",
      "integration=gone",
    ]);
    expect(body).toMatch(
      /^hookswitch_deliveries_total\{integration="billing",outcome="dead-lettered"\} 0$/m,
    );
    for (const leak of [
      "127.0.0.1",
      String(receiver.port),
      "url-query-secret",
      "/crm",
      "http://",
    ]) {
      expect(body.includes(leak) ? leak : "", "no URL or receiver address").toBe("");
    }
  });

  it("serves /api/integrations as JSON with every field of the status page", async () => {
    const res = await text(`${daemon.http}/api/integrations`);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const api = JSON.parse(res.body) as Record<string, unknown> & {
      integrations: Record<string, unknown>[];
      invalidFiles: { file: string; problems: Record<string, unknown>[] }[];
    };
    expect(api).toMatchObject({
      version: VERSION,
      revision: builtRevision(),
      ready: true,
      lastReloadSuccessful: false,
      deadLetters: 1,
    });
    expect(api.generation).toBeGreaterThanOrEqual(1);
    expect(api.integrations.map((i) => i.name)).toEqual(["billing", "crm", "gone"]);
    const [billing, crm, gone] = api.integrations;
    expect(billing).toMatchObject({
      type: "webhook",
      serviceType: "mycloudpbx",
      events: ["user.created", "user.deleted", "user.modified"],
      scope: { service: SERVICE },
      enabled: false,
      lastDelivery: null,
      counts: { delivered: 0, retried: 0, "dead-lettered": 0, skipped: 0 },
    });
    expect(String(billing!.file)).toMatch(/billing\.yaml$/);
    expect(crm).toMatchObject({
      scope: { account: "acme" },
      enabled: true,
      lastDelivery: { outcome: "delivered", status: 200 },
      counts: { delivered: 1, retried: 0, "dead-lettered": 0, skipped: 0 },
    });
    expect(Date.parse(String((crm!.lastDelivery as { at: string }).at))).not.toBeNaN();
    expect(gone).toMatchObject({ lastDelivery: { outcome: "dead-lettered", status: 410 } });
    expect(api.invalidFiles).toHaveLength(1);
    expect(api.invalidFiles[0]!.file).toMatch(/broken\.yaml$/);
    expect(api.invalidFiles[0]!.problems[0]).toMatchObject({
      file: expect.stringMatching(/broken\.yaml$/) as unknown,
      line: expect.any(Number) as unknown,
      column: expect.any(Number) as unknown,
      message: expect.any(String) as unknown,
    });
  });

  it("serves the status page as HTML", async () => {
    const res = await text(`${daemon.http}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.body).toMatch(/^<!doctype html>/);
    for (const name of ["crm", "billing", "gone", "broken.yaml"]) expect(res.body).toContain(name);
  });

  it.each(["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])(
    "refuses %s with 405 and Allow",
    async (method) => {
      const res = await text(`${daemon.http}/`, { method });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe("GET, HEAD");
    },
  );

  it("answers HEAD with headers and no body", async () => {
    const answer = await rawRequest(
      port,
      "HEAD /api/integrations HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    const [head, body] = answer.split("\r\n\r\n");
    expect(head).toMatch(/^HTTP\/1\.1 200 /);
    expect(Number(/content-length: (\d+)/i.exec(head!)?.[1])).toBeGreaterThan(0);
    expect(body).toBe("");
  });

  it.each(["/nope", "/metrics/extra", "/api", "/../etc/passwd"])(
    "answers 404 for %s",
    async (path) => {
      const answer = await rawRequest(
        port,
        `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      );
      expect(answer).toMatch(/^HTTP\/1\.1 404 /);
    },
  );

  it("refuses an oversized request header with 431", async () => {
    const big = "a".repeat(64 * 1024);
    const answer = await rawRequest(
      port,
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${big}\r\nConnection: close\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
    expect((await text(`${daemon.http}/healthz`)).status).toBe(200);
  });

  it("is not ready while NATS is down and ready again once it is back", async () => {
    await nats.stop();
    const down = await waitFor(
      async () => {
        const res = await text(`${daemon.http}/readyz`);
        return res.status === 503 ? res : undefined;
      },
      { timeoutMs: 10_000, what: "/readyz 503" },
    );
    expect(down.body).toMatch(/not connected to NATS/);
    expect((await text(`${daemon.http}/healthz`)).status).toBe(200);
    const metricsWhileDown = (await text(`${daemon.http}/metrics`)).body;
    expect(metricsWhileDown).toMatch(/^hookswitch_nats_connected 0$/m);
    expect(metricsWhileDown).toMatch(/^hookswitch_ready 0$/m);
    const losses = /^hookswitch_nats_disconnects_total (\d+)$/m.exec(metricsWhileDown)?.[1];
    expect(Number(losses)).toBeGreaterThanOrEqual(1);

    await nats.start();
    await waitFor(async () => (await text(`${daemon.http}/readyz`)).status === 200, {
      timeoutMs: 15_000,
      what: "/readyz 200 after NATS is back",
    });
    const metricsWhenBack = (await text(`${daemon.http}/metrics`)).body;
    expect(metricsWhenBack).toMatch(/^hookswitch_nats_connected 1$/m);
    expect(metricsWhenBack).toMatch(/^hookswitch_ready 1$/m);
    // Still counted once NATS is back: a loss between two scrapes is not lost.
    expect(metricsWhenBack).toMatch(
      new RegExp(`^hookswitch_nats_disconnects_total ${losses}$`, "m"),
    );
  });
});
