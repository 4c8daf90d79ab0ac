import { describe, expect, it } from "vitest";
import { createMetrics } from "../../src/http/metrics.js";

const sources = { isNatsConnected: () => true, isReady: () => true };

describe("delivery metrics", () => {
  it("count each outcome per integration, however often the same labels come back", async () => {
    const metrics = createMetrics(sources);
    metrics.countDelivery("crm", "delivered");
    metrics.countDelivery("crm", "delivered");
    metrics.countDelivery("crm", "retried");
    metrics.countDelivery("billing", "dead-lettered");
    const text = await metrics.registry.getSingleMetricAsString("hookswitch_deliveries_total");
    expect(text).toContain('hookswitch_deliveries_total{integration="crm",outcome="delivered"} 2');
    expect(text).toContain('hookswitch_deliveries_total{integration="crm",outcome="retried"} 1');
    expect(text).toContain(
      'hookswitch_deliveries_total{integration="billing",outcome="dead-lettered"} 1',
    );
    expect(text).not.toContain('outcome="skipped"');
  });

  it("put each attempt's duration in its integration's buckets", async () => {
    const metrics = createMetrics(sources);
    metrics.observeAttempt("crm", 0.004);
    metrics.observeAttempt("crm", 0.2);
    metrics.observeAttempt("billing", 3);
    const text = await metrics.registry.getSingleMetricAsString(
      "hookswitch_attempt_duration_seconds",
    );
    expect(text).toContain(
      'hookswitch_attempt_duration_seconds_bucket{le="0.005",integration="crm"} 1',
    );
    expect(text).toContain(
      'hookswitch_attempt_duration_seconds_bucket{le="0.25",integration="crm"} 2',
    );
    expect(text).toContain('hookswitch_attempt_duration_seconds_count{integration="crm"} 2');
    expect(text).toContain('hookswitch_attempt_duration_seconds_count{integration="billing"} 1');
    expect(text).toContain(
      'hookswitch_attempt_duration_seconds_bucket{le="1",integration="billing"} 0',
    );
  });

  it("keep one registry per daemon, so two daemons in a process count apart", async () => {
    const first = createMetrics(sources);
    const second = createMetrics(sources);
    first.countDelivery("crm", "delivered");
    const text = await second.registry.getSingleMetricAsString("hookswitch_deliveries_total");
    expect(text).not.toContain('integration="crm"');
  });
});
