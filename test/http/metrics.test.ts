/**
 * The deliveries counter is read from the delivery figures the status page shows, when
 * Prometheus scrapes: one count per delivery, and the page and the metric agree.
 */
import fc from "fast-check";
import { Counter, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import {
  DELIVERY_OUTCOMES,
  DeliveryStats,
  NO_COUNTS,
  type DeliveryOutcome,
  type LastDelivery,
} from "../../src/delivery/stats.js";
import type { ConfigState } from "../../src/config/watch/generation.js";
import { DeliveryCounter } from "../../src/http/delivery-counter.js";
import { familyText } from "../../src/http/exposition.js";
import { ATTEMPT_RESULTS, type AttemptResult } from "../../src/delivery/attempt-result.js";
import { createMetrics, recordConfigGeneration } from "../../src/http/metrics.js";
import { makeIntegration } from "../support/integration.js";
import { IDLE_SOURCES } from "../support/metric-sources.js";

const HELP = "Outcomes of delivery attempts by integration";
const DELIVERED_ONE: Record<DeliveryOutcome, number> = { ...NO_COUNTS, delivered: 1 };

function setUp(loaded: string[] = []) {
  const stats = new DeliveryStats();
  const nats = { losses: 0 };
  const metrics = createMetrics({
    isNatsConnected: () => true,
    natsDisconnections: () => nats.losses,
    isReady: () => true,
    requestsInFlight: () => 0,
    deliveryCounts: () => stats.countsWith(loaded),
    attemptResults: () => stats.attemptResults(),
  });
  const record = (integration: string, outcome: DeliveryOutcome, times = 1) => {
    const last: LastDelivery = {
      at: "2026-11-29T12:00:00.000Z",
      outcome,
      status: 200,
      error: null,
    };
    for (let i = 0; i < times; i++) stats.record(integration, last);
  };
  /** The counter's series as `integration/outcome value` lines, sorted. */
  const scrapeAll = () => {
    const text = familyText(metrics.deliveries);
    return [...text.matchAll(/^\w+\{integration="([^"]+)",outcome="([^"]+)"\} (\d+)$/gm)]
      .map(([, integration, outcome, value]) => `${integration}/${outcome} ${value}`)
      .sort();
  };
  /** The series that counted something. */
  const scrape = () => scrapeAll().filter((line) => !line.endsWith(" 0"));
  return { stats, record, scrape, scrapeAll, nats, metrics };
}

describe("hookswitch_deliveries_total", () => {
  it("counts each integration's outcomes as the delivery figures have them", () => {
    const { record, scrape } = setUp();
    record("crm", "delivered", 3);
    record("crm", "retried");
    record("billing", "dead-lettered", 2);
    record("gone", "skipped");

    expect(scrape()).toEqual([
      "billing/dead-lettered 2",
      "crm/delivered 3",
      "crm/retried 1",
      "gone/skipped 1",
    ]);
  });

  it("shows each loaded integration's dead letters at 0 until one happens, for increase() to see", () => {
    const { record, scrapeAll } = setUp(["crm"]);
    expect(scrapeAll()).toEqual(["crm/dead-lettered 0"]);
    record("crm", "delivered");
    record("gone", "skipped"); // removed from the configuration since: its counts stay
    expect(scrapeAll()).toEqual([
      "crm/dead-lettered 0",
      "crm/delivered 1",
      "gone/dead-lettered 0",
      "gone/skipped 1",
    ]);
  });

  it("counts nothing twice when scraped again, and adds what happened in between", () => {
    const { record, scrape } = setUp();
    record("crm", "delivered", 2);
    expect(scrape()).toEqual(["crm/delivered 2"]);
    expect(scrape()).toEqual(["crm/delivered 2"]);

    record("crm", "delivered", 5);
    record("crm", "retried");
    record("billing", "delivered");
    expect(scrape()).toEqual(["billing/delivered 1", "crm/delivered 7", "crm/retried 1"]);
  });

  it("agrees with the status page's counts", () => {
    const { stats, record, scrape } = setUp();
    record("crm", "delivered", 4);
    record("crm", "dead-lettered");
    scrape();
    record("crm", "delivered");

    const page = stats.get("crm")?.counts;
    expect(page).toEqual({ delivered: 5, retried: 0, "dead-lettered": 1, skipped: 0 });
    expect(scrape()).toEqual(["crm/dead-lettered 1", "crm/delivered 5"]);
  });
});

describe("hookswitch_attempts_total", () => {
  const last = (outcome: DeliveryOutcome): LastDelivery => ({
    at: "2026-11-29T12:00:00.000Z",
    outcome,
    status: null,
    error: null,
  });
  const attemptLines = async (metrics: ReturnType<typeof setUp>["metrics"]) =>
    [...(await metrics.exposition.text()).matchAll(/^hookswitch_attempts_total\{(.*)\} (\d+)$/gm)]
      .map(([, labels, n]) => `${labels} ${n}`)
      .sort();
  const index = (result: AttemptResult) => ATTEMPT_RESULTS.indexOf(result);

  it("counts each integration's attempts by result, showing only results that happened", async () => {
    const { stats, metrics } = setUp(["quiet"]);
    stats.record("crm", last("retried"), index("5xx"));
    stats.record("crm", last("retried"), index("timeout"));
    stats.record("crm", last("delivered"), index("2xx"));
    stats.record("billing", last("dead-lettered"), index("4xx"));
    // Skipped: no attempt made, so nothing to show for it.
    stats.record("gone", last("skipped"));
    expect(await attemptLines(metrics)).toEqual([
      'integration="billing",result="4xx" 1',
      'integration="crm",result="2xx" 1',
      'integration="crm",result="5xx" 1',
      'integration="crm",result="timeout" 1',
    ]);
    stats.record("crm", last("delivered"), index("2xx"));
    expect(await attemptLines(metrics)).toContain('integration="crm",result="2xx" 2');
  });
});

describe("hookswitch_deliveries_total's text", () => {
  it("is what a prom-client Counter set to the same counts writes, scraped at any points", () => {
    const counts = new Map<string, Record<DeliveryOutcome, number>>();
    const ours = new DeliveryCounter(HELP, () => counts);
    const registry = new Registry();
    const reference = new Counter({
      name: "hookswitch_deliveries_total",
      help: HELP,
      labelNames: ["integration", "outcome"] as const,
      registers: [registry],
    });
    const theirs = async () => {
      reference.reset();
      for (const [integration, byOutcome] of counts) {
        for (const outcome of DELIVERY_OUTCOMES) {
          if (byOutcome[outcome] > 0 || outcome === "dead-lettered") {
            reference.inc({ integration, outcome }, byOutcome[outcome]);
          }
        }
      }
      return `${await registry.getSingleMetricAsString("hookswitch_deliveries_total")}\n`;
    };
    const outcome = fc.constantFrom(...DELIVERY_OUTCOMES);
    const step = fc.tuple(fc.constantFrom("crm", "billing", 'odd "name"\\'), outcome, fc.boolean());
    return fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), async (steps) => {
        counts.clear();
        for (const [integration, counted, scrapeAfter] of steps) {
          const byOutcome = counts.get(integration) ?? { ...NO_COUNTS };
          counts.set(integration, { ...byOutcome, [counted]: byOutcome[counted] + 1 });
          if (scrapeAfter) expect(familyText(ours)).toBe(await theirs());
        }
        // An integration no longer counted (its figures forgotten) goes from the text.
        counts.delete("crm");
        expect(familyText(ours)).toBe(await theirs());
      }),
      { numRuns: 200 },
    );
  });
});

describe("the /metrics text", () => {
  it("holds prom-client's families and the per-integration ones, each once, apart by a blank line", async () => {
    const metrics = createMetrics({
      ...IDLE_SOURCES,
      deliveryCounts: () => [["crm", DELIVERED_ONE]],
    });
    metrics.attemptDuration.observe("crm", 0.02);
    const text = await metrics.exposition.text();
    const types = [...text.matchAll(/^# TYPE (\w+) /gm)].map(([, name]) => name);
    expect(types.sort()).toEqual([...new Set(metrics.exposition.names())].sort());
    expect(types).toContain("hookswitch_deliveries_total");
    expect(types).toContain("hookswitch_attempt_duration_seconds");
    expect(text).toMatch(
      /^hookswitch_deliveries_total\{integration="crm",outcome="delivered"\} 1$/m,
    );
    expect(text).toMatch(/^hookswitch_attempt_duration_seconds_count\{integration="crm"\} 1$/m);
    expect(text).toMatch(/\n\n# HELP hookswitch_deliveries_total /);
    expect(text).toMatch(/[^\n]\n$/);
    expect(metrics.exposition.contentType).toBe(metrics.registry.contentType);
  });
});

describe("the gauges read from the daemon when scraped", () => {
  it.each([
    [false, false, 0],
    [true, true, 3],
  ])("connected %s, ready %s, %i requests in flight", async (connected, ready, inFlight) => {
    const metrics = createMetrics({
      ...IDLE_SOURCES,
      isNatsConnected: () => connected,
      isReady: () => ready,
      requestsInFlight: () => inFlight,
    });
    const text = await metrics.exposition.text();
    expect(text).toMatch(new RegExp(`^hookswitch_nats_connected ${connected ? 1 : 0}$`, "m"));
    expect(text).toMatch(new RegExp(`^hookswitch_ready ${ready ? 1 : 0}$`, "m"));
    expect(text).toMatch(new RegExp(`^hookswitch_deliveries_in_flight ${inFlight}$`, "m"));
  });

  it("counts an attempt of a millisecond in the first bucket, 5 ms", async () => {
    const metrics = createMetrics(IDLE_SOURCES);
    metrics.attemptDuration.observe("crm", 0.001);
    expect(await metrics.exposition.text()).toMatch(
      /^hookswitch_attempt_duration_seconds_bucket\{le="0\.005",integration="crm"\} 1$/m,
    );
  });
});

/** A daemon with nothing going on: what the metrics read when scraped. */

describe("hookswitch_dead_letters", () => {
  it("is absent until the queue was first counted, then shows the count", async () => {
    const metrics = createMetrics(IDLE_SOURCES);
    expect(await metrics.registry.metrics()).not.toContain("hookswitch_dead_letters");
    metrics.deadLetters.set(3);
    metrics.deadLetters.set(4);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^hookswitch_dead_letters 4$/m);
    expect(text.match(/^# TYPE hookswitch_dead_letters gauge$/gm)).toHaveLength(1);
  });
});

describe("hookswitch_store_failures_total", () => {
  it("shows both of hookswitch's streams at 0 from the start, for increase() to see, and counts each failure by stream", async () => {
    const metrics = createMetrics(IDLE_SOURCES);
    const series = async () =>
      (await metrics.registry.getSingleMetricAsString("hookswitch_store_failures_total"))
        .split("\n")
        .filter((line) => !line.startsWith("#"));
    expect(await series()).toEqual([
      'hookswitch_store_failures_total{stream="HOOKSWITCH_DELIVERIES"} 0',
      'hookswitch_store_failures_total{stream="HOOKSWITCH_DLQ"} 0',
    ]);
    metrics.storeFailures.inc({ stream: "HOOKSWITCH_DELIVERIES" });
    metrics.storeFailures.inc({ stream: "HOOKSWITCH_DELIVERIES" });
    metrics.storeFailures.inc({ stream: "HOOKSWITCH_DLQ" });
    expect(await series()).toEqual([
      'hookswitch_store_failures_total{stream="HOOKSWITCH_DELIVERIES"} 2',
      'hookswitch_store_failures_total{stream="HOOKSWITCH_DLQ"} 1',
    ]);
  });
});

describe("the backlog gauges", () => {
  it("are absent until the consumer was first read, then show its backlog", async () => {
    const metrics = createMetrics(IDLE_SOURCES);
    expect(await metrics.registry.metrics()).not.toMatch(/hookswitch_events_(pending|unack)/);
    metrics.eventsPending.set(120);
    metrics.eventsUnacknowledged.set(7);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^hookswitch_events_pending 120$/m);
    expect(text).toMatch(/^hookswitch_events_unacknowledged 7$/m);
  });

  it("show when the last acknowledgement was taken only once it was read", async () => {
    const metrics = createMetrics(IDLE_SOURCES);
    expect(await metrics.registry.metrics()).not.toMatch(/last_acknowledged/);
    metrics.eventsLastAcknowledged.set(1796369483.398);
    expect(await metrics.registry.metrics()).toMatch(
      /^hookswitch_events_last_acknowledged_timestamp_seconds 1796369483.398$/m,
    );
  });
});

describe("the waiting retries gauges", () => {
  it("are absent until the delivery consumer was first read, then show its places taken and its limit", async () => {
    const metrics = createMetrics(IDLE_SOURCES);
    expect(await metrics.registry.metrics()).not.toMatch(/hookswitch_waiting_retries/);
    metrics.waitingRetries.set(412);
    metrics.waitingRetriesLimit.set(500_000);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^hookswitch_waiting_retries 412$/m);
    expect(text).toMatch(/^hookswitch_waiting_retries_limit 500000$/m);
  });

  it("show the retries passed by once first counted, 0 included", async () => {
    const metrics = createMetrics(IDLE_SOURCES);
    expect(await metrics.registry.metrics()).not.toMatch(/passed_by/);
    metrics.waitingRetriesPassedBy.set(0);
    expect(await metrics.registry.metrics()).toMatch(/^hookswitch_waiting_retries_passed_by 0$/m);
    metrics.waitingRetriesPassedBy.set(2);
    expect(await metrics.registry.metrics()).toMatch(/^hookswitch_waiting_retries_passed_by 2$/m);
  });
});

describe("hookswitch_nats_disconnects_total", () => {
  const losses = async (metrics: ReturnType<typeof setUp>["metrics"]) =>
    /^hookswitch_nats_disconnects_total (\d+)$/m.exec(await metrics.registry.metrics())?.[1];

  it("counts the connection's losses from 0, each once however often it is scraped", async () => {
    const { nats, metrics } = setUp();
    expect(await losses(metrics)).toBe("0");
    nats.losses = 2;
    expect(await losses(metrics)).toBe("2");
    expect(await losses(metrics)).toBe("2");
    nats.losses = 3;
    expect(await losses(metrics)).toBe("3");
  });

  it("never goes down, and counts on from a count that started again", async () => {
    const { nats, metrics } = setUp();
    nats.losses = 4;
    expect(await losses(metrics)).toBe("4");
    nats.losses = 1;
    expect(await losses(metrics)).toBe("4");
    nats.losses = 2;
    expect(await losses(metrics)).toBe("5");
  });
});

describe("hookswitch_deliveries_waiting", () => {
  it("shows each integration's kinds that have deliveries waiting, each reading replacing the last", async () => {
    const metrics = createMetrics(IDLE_SOURCES);
    expect(await metrics.registry.metrics()).not.toMatch(/^hookswitch_deliveries_waiting\{/m);
    metrics.deliveriesWaiting.set(
      new Map([
        ["crm", { retry: 2, parked: 5 }],
        ["billing", { retry: 0, parked: 1 }],
      ]),
    );
    const first = await metrics.registry.metrics();
    expect(first).toMatch(/^hookswitch_deliveries_waiting\{integration="crm",kind="retry"\} 2$/m);
    expect(first).toMatch(/^hookswitch_deliveries_waiting\{integration="crm",kind="parked"\} 5$/m);
    expect(first).toMatch(
      /^hookswitch_deliveries_waiting\{integration="billing",kind="parked"\} 1$/m,
    );
    expect(first).not.toContain('integration="billing",kind="retry"');

    metrics.deliveriesWaiting.set(new Map([["billing", { retry: 3, parked: 0 }]]));
    const second = await metrics.registry.metrics();
    expect(second).toMatch(
      /^hookswitch_deliveries_waiting\{integration="billing",kind="retry"\} 3$/m,
    );
    expect(second).not.toContain('integration="crm"');
    expect(second).not.toContain('kind="parked"');
  });
});

describe("the configuration reload gauges", () => {
  it("are absent until the first load, then say whether every file is valid", async () => {
    const metrics = createMetrics(IDLE_SOURCES);
    const before = await metrics.registry.metrics();
    expect(before).not.toContain("hookswitch_config_last_reload_successful");
    expect(before).not.toContain("hookswitch_config_last_reload_success_timestamp_seconds");

    const problem = { file: "a.yaml", line: 1, column: 1, message: "broken" };
    const state = (problems: ConfigState["problems"]): ConfigState => ({
      generation: 1,
      at: new Date(),
      files: new Map(),
      integrations: [],
      problems,
      discoveryProblems: [],
      digest: "0123456789ab",
    });
    recordConfigGeneration(metrics, state([problem]));
    const invalid = await metrics.registry.metrics();
    expect(invalid).toMatch(/^hookswitch_config_last_reload_successful 0$/m);
    // Never successful: no time of a success to show.
    expect(invalid).not.toContain("hookswitch_config_last_reload_success_timestamp_seconds");

    recordConfigGeneration(metrics, state([]));
    const valid = await metrics.registry.metrics();
    expect(valid).toMatch(/^hookswitch_config_last_reload_successful 1$/m);
    expect(valid).toMatch(/^hookswitch_config_last_reload_success_timestamp_seconds \d+/m);
  });
});

describe("hookswitch_integrations and the reload gauge", () => {
  const problem = (file: string) => ({ file, line: 1, column: 1, message: "broken" });
  const state: ConfigState = {
    generation: 4,
    at: new Date(),
    files: new Map(),
    integrations: [
      makeIntegration({ name: "a" }),
      makeIntegration({ name: "b", enabled: false }),
      makeIntegration({ name: "c" }),
    ],
    problems: [problem("x.yaml"), problem("x.yaml"), problem("y.yaml")],
    discoveryProblems: [],
    digest: "0123456789ab",
  };

  it.each<[string, ConfigState["problems"] | undefined, string[]]>([
    [
      "the generation's problems",
      undefined,
      ['state="enabled"} 2', 'state="disabled"} 1', 'state="invalid"} 2', "successful 0"],
    ],
    [
      "the problems given (a folder that vanished)",
      [problem("integrations.d")],
      ['state="enabled"} 2', 'state="disabled"} 1', 'state="invalid"} 1', "successful 0"],
    ],
    [
      "no problems given (a folder back)",
      [],
      ['state="enabled"} 2', 'state="disabled"} 1', 'state="invalid"} 0', "successful 1"],
    ],
  ])("count integrations by state and files, not problems, from %s", async (_, problems, shown) => {
    const metrics = createMetrics(IDLE_SOURCES);
    recordConfigGeneration(metrics, state, problems);
    const text = await metrics.registry.metrics();
    const lines = text
      .split("\n")
      .filter((l) => /^hookswitch_(integrations\{|config_last_reload_successful )/.test(l))
      .map((l) => l.replace(/^hookswitch_(integrations\{|config_last_reload_)/, ""));
    expect(lines).toEqual(shown);
    expect(text).toMatch(/^hookswitch_config_generation 4$/m);
  });
});

describe("hookswitch_config_info", () => {
  const state = (generation: number, digest: string): ConfigState => ({
    generation,
    at: new Date(),
    files: new Map(),
    integrations: [],
    problems: [],
    discoveryProblems: [],
    digest,
  });
  const series = async (metrics: ReturnType<typeof createMetrics>) =>
    (await metrics.registry.metrics())
      .split("\n")
      .filter((l) => l.startsWith("hookswitch_config_info"));

  it("is absent until the first load", async () => {
    expect(await series(createMetrics(IDLE_SOURCES))).toEqual([]);
  });

  it("shows one series, the digest in force, and drops the old one when it changes", async () => {
    const metrics = createMetrics(IDLE_SOURCES);
    recordConfigGeneration(metrics, state(1, "aaaaaaaaaaaa"));
    expect(await series(metrics)).toEqual(['hookswitch_config_info{digest="aaaaaaaaaaaa"} 1']);
    recordConfigGeneration(metrics, state(2, "bbbbbbbbbbbb"));
    expect(await series(metrics)).toEqual(['hookswitch_config_info{digest="bbbbbbbbbbbb"} 1']);
  });
});
