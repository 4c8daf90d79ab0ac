/**
 * The attempt-duration histogram writes exactly what prom-client's own Histogram writes for
 * the same observations, and writes an integration's lines anew only after it observes.
 */
import fc from "fast-check";
import { Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { DurationHistogram } from "../../src/http/duration-histogram.js";
import { familyText } from "../../src/http/exposition.js";

const NAME = "hookswitch_attempt_duration_seconds";
const HELP = "Duration of each HTTP attempt";
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

function both() {
  const theirs = new Registry();
  const histogram = new DurationHistogram({ name: NAME, help: HELP, buckets: BUCKETS });
  const reference = new Histogram({
    name: NAME,
    help: HELP,
    labelNames: ["integration"] as const,
    buckets: BUCKETS,
    registers: [theirs],
  });
  const observe = (integration: string, seconds: number) => {
    histogram.observe(integration, seconds);
    reference.observe({ integration }, seconds);
  };
  // Each family's text ends its last line; prom-client's registry ends the whole.
  const texts = async () => [
    familyText(histogram),
    `${await theirs.getSingleMetricAsString(NAME)}\n`,
  ];
  return { histogram, observe, texts };
}

describe("DurationHistogram", () => {
  it("shows what prom-client's Histogram shows, bucket by bucket", async () => {
    const { observe, texts } = both();
    // At each bound (which counts into its own bucket), between bounds, beyond the last.
    for (const seconds of [0, 0.005, 0.0051, 0.01, 1, 2.4, 60, 61, 3600]) observe("crm", seconds);
    observe("billing", 0.02);

    const [ours, theirs] = await texts();
    expect(ours).toBe(theirs);
    expect(ours).toContain(`${NAME}_bucket{le="0.005",integration="crm"} 2\n`);
    expect(ours).toContain(`${NAME}_bucket{le="60",integration="crm"} 7\n`);
    expect(ours).toContain(`${NAME}_bucket{le="+Inf",integration="crm"} 9\n`);
    expect(ours).toMatch(new RegExp(`^${NAME}_count\\{integration="billing"\\} 1$`, "m"));
  });

  it("agrees with it on any observations, scraped at any points between them", async () => {
    const observation = fc.tuple(
      fc.constantFrom("crm", "billing", "feed-1"),
      fc.oneof(fc.constantFrom(...BUCKETS), fc.double({ min: 0, max: 120, noNaN: true })),
      fc.boolean(),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(observation, { maxLength: 50 }), async (observations) => {
        const { observe, texts } = both();
        for (const [integration, seconds, scrapeAfter] of observations) {
          observe(integration, seconds);
          if (scrapeAfter) expect(new Set(await texts()).size).toBe(1);
        }
        const [ours, theirs] = await texts();
        expect(ours).toBe(theirs);
      }),
      { numRuns: 300 },
    );
  });

  it("has no series before an observation, and none of an integration forgotten", async () => {
    const { histogram, observe, texts } = both();
    const [empty, reference] = await texts();
    expect(empty).toBe(reference);
    expect(empty).not.toContain("integration=");

    observe("crm", 0.2);
    histogram.forget("crm");
    expect(familyText(histogram)).not.toContain("integration=");
    histogram.observe("crm", 0.2);
    expect(familyText(histogram)).toContain(`${NAME}_count{integration="crm"} 1`);
  });

  it("writes an integration's lines anew after each observation, and keeps them between", async () => {
    const { observe, texts } = both();
    observe("crm", 0.2);
    observe("billing", 0.02);
    const [first] = await texts();
    const [again] = await texts();
    expect(again).toBe(first);
    observe("crm", 3);
    const [ours, theirs] = await texts();
    expect(ours).toBe(theirs);
    expect(ours).toContain(`${NAME}_count{integration="crm"} 2`);
  });

  it("escapes a label value as prom-client does", async () => {
    const { observe, texts } = both();
    observe('a "quoted" \\ back\nslash', 0.1);
    const [ours, theirs] = await texts();
    expect(ours).toBe(theirs);
    expect(ours).toContain('integration="a \\"quoted\\" \\\\ back\\nslash"');
  });

  it("leaves out a duration that is not a number of seconds", () => {
    const { histogram } = both();
    histogram.observe("crm", Number.NaN);
    histogram.observe("crm", Number.POSITIVE_INFINITY);
    expect(familyText(histogram)).not.toContain("integration=");
  });
});
