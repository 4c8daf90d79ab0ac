/**
 * docs/operating.md's metrics reference and alert rules against the metrics hookswitch
 * registers: an operator copies both, and a metric renamed or added must show there.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createMetrics } from "../../src/http/metrics.js";
import { REPO } from "../support/cli.js";
import { documentedAlertRules } from "../support/documented-alerts.js";
import { IDLE_SOURCES } from "../support/metric-sources.js";

const OPERATING = readFileSync(join(REPO, "docs/operating.md"), "utf8");

/** Metric families the process and runtime collectors add, listed by example only. */
const RUNTIME = /^hookswitch_(process|nodejs)_/;

/** The names of the metrics exported, with the runtime's (process, Node.js) or without. */
function registered({ runtime = false } = {}): string[] {
  const metrics = createMetrics(IDLE_SOURCES);
  // Gauges shown only once set (NATS read, first load): set them as a running daemon does.
  metrics.deadLetters.set(0);
  metrics.eventsPending.set(0);
  metrics.eventsUnacknowledged.set(0);
  metrics.eventsLastAcknowledged.set(0);
  metrics.waitingRetries.set(0);
  metrics.waitingRetriesLimit.set(0);
  metrics.waitingRetriesPassedBy.set(0);
  metrics.configReloadSuccessful.set(1);
  metrics.configReloadSuccessTime.set(0);
  return metrics.exposition.names().filter((name) => runtime || !RUNTIME.test(name));
}

const documented = [...OPERATING.matchAll(/^\| `(hookswitch_\w+)`/gm)].map((m) => m[1]!);

/** The YAML of the alert rules block: the fenced block that holds `groups:`. */
function alertRules(): { alert: string; expr: string }[] {
  const groups = documentedAlertRules().groups as { rules: { alert: string; expr: string }[] }[];
  return groups.flatMap((group) => group.rules);
}

describe("docs/operating.md", () => {
  it("lists every metric hookswitch registers, and no other", () => {
    expect([...documented].sort()).toEqual(registered().sort());
  });

  it("writes its alerts with metrics that exist", () => {
    const names = new Set(registered({ runtime: true }));
    const rules = alertRules();
    expect(rules.length).toBeGreaterThan(5);
    for (const rule of rules) {
      const used = [...rule.expr.matchAll(/\b(hookswitch_\w+?)(?:_bucket)?\b/g)].map((m) => m[1]!);
      // Only the scrape's own `up` may stand alone.
      if (used.length === 0) expect(rule.expr, rule.alert).toMatch(/^(absent\()?up\{/);
      for (const name of used) expect(names, `${rule.alert}: ${name}`).toContain(name);
    }
  });
});
