/**
 * /metrics with thousands of integrations: written in pieces, with other work let run between
 * them, and the same text as written at once. A real HTTP server on 127.0.0.1.
 */
import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { ATTEMPT_RESULTS } from "../../src/delivery/attempt-result.js";
import { NO_COUNTS, type DeliveryOutcome } from "../../src/delivery/stats.js";
import { INTEGRATIONS_PER_PIECE } from "../../src/http/exposition.js";
import { createMetrics, type Metrics } from "../../src/http/metrics.js";
import { startHttpServer, type HttpServer } from "../../src/http/server.js";
import { capturingLogger } from "../support/logs.js";
import { IDLE_SOURCES } from "../support/metric-sources.js";

const INTEGRATIONS = 2_000;

/** Metrics of INTEGRATIONS integrations that each delivered once, in 20 ms, answered 2xx. */
function busyMetrics(): Metrics {
  const counts = new Map<string, Record<DeliveryOutcome, number>>();
  const results = new Map<string, number[]>();
  const metrics = createMetrics({
    ...IDLE_SOURCES,
    deliveryCounts: () => counts,
    attemptResults: () => results,
  });
  const answered = ATTEMPT_RESULTS.map((result) => (result === "2xx" ? 1 : 0));
  for (let i = 0; i < INTEGRATIONS; i++) {
    const name = `crm-${i}`;
    counts.set(name, { ...NO_COUNTS, delivered: 1 });
    results.set(name, answered);
    metrics.attemptDuration.observe(name, 0.02);
  }
  return metrics;
}

/** From the first per-integration family on: the process's own figures change between scrapes. */
const perIntegration = (text: string) =>
  text.slice(text.indexOf("# HELP hookswitch_deliveries_total "));

let server: HttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(metrics: Metrics): Promise<string> {
  server = await startHttpServer(
    {
      metrics: metrics.exposition,
      notReadyReason: () => undefined,
      status: () => {
        throw new Error("not asked for here");
      },
      log: capturingLogger().log,
    },
    "127.0.0.1:0",
  );
  return `http://${server.address}`;
}

describe("the /metrics text of thousands of integrations", () => {
  it("comes in pieces, with a turn of the event loop for other work before each of an integration family's", async () => {
    const metrics = busyMetrics();
    let turned = false;
    let withoutTurn = 0;
    let pieces = 0;
    // eslint-disable-next-line @typescript-eslint/no-unused-vars -- counted, not read
    for await (const _piece of metrics.exposition.pieces()) {
      pieces++;
      if (!turned) withoutTurn++;
      turned = false;
      setImmediate(() => (turned = true));
    }
    const perFamily = 1 + Math.ceil(INTEGRATIONS / INTEGRATIONS_PER_PIECE);
    expect(pieces).toBe(1 + 3 * (1 + perFamily));
    // The registry's piece, and each family's separator and header, come without one.
    expect(withoutTurn).toBeLessThanOrEqual(5);
  });

  it("is served whole, as written at once, to GET; HEAD gets its headers only", async () => {
    const metrics = busyMetrics();
    const url = await serve(metrics);
    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe(metrics.registry.contentType);
    const body = await response.text();
    expect(perIntegration(body)).toBe(perIntegration(await metrics.exposition.text()));
    expect(body).toMatch(/^# TYPE hookswitch_events_received_total counter$/m);
    expect(body).toContain('hookswitch_attempt_duration_seconds_count{integration="crm-1999"} 1\n');
    expect(body).toContain('hookswitch_attempts_total{integration="crm-1999",result="2xx"} 1\n');
    expect(body.match(/^# TYPE hookswitch_deliveries_total counter$/gm)).toHaveLength(1);

    const head = await fetch(`${url}/metrics`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });

  it("stops writing for a client that goes away part way, and serves the next", async () => {
    const metrics = busyMetrics();
    const url = await serve(metrics);
    await new Promise<void>((resolve, reject) => {
      const req = request(`${url}/metrics`, (res) => {
        res.once("data", () => {
          req.destroy();
          resolve();
        });
      });
      req.on("error", (err) => (req.destroyed ? undefined : reject(err)));
      req.end();
    });
    const next = await fetch(`${url}/metrics`);
    expect(perIntegration(await next.text())).toBe(perIntegration(await metrics.exposition.text()));
  });
});
