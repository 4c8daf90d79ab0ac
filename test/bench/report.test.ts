import { describe, expect, it } from "vitest";

/** The parts of `scripts/bench/report.mjs` under test (a script: no type declarations). */
interface Row {
  rep: number;
  /** The run's place in the list of scenarios. */
  index?: number;
  scenario: string;
  system: string;
  unit?: string;
  result: {
    rate?: number;
    complete?: boolean;
    duplicates?: number;
    latency?: { p99: number };
    cpuPer1k?: number;
  };
}
interface Target {
  id: string;
  value: number;
  met: boolean;
  context?: string;
}
interface Report {
  targets(rows: Row[]): Target[];
  targetLines(list: Target[]): string[];
  aggregate(rows: Row[]): { system: string; ratio: number; complete: number; duplicates: number }[];
}
interface Scenarios {
  runOrder: <T extends { block?: string }>(runs: T[], rep: number) => T[];
}
const REPORT = "../../scripts/bench/report.mjs";
const SCENARIOS = "../../scripts/bench/scenarios.mjs";
const report = (await import(REPORT)) as Report;
const { runOrder } = (await import(SCENARIOS)) as Scenarios;

const RELAY = "lean relay (consume, POST, ack; hookswitch's transport)";

/** One repetition's drains: the figures are events (or deliveries) per second. */
function repetition(
  rep: number,
  rates: Record<string, number>,
  cpuPer1k: Record<string, number> = {},
): Row[] {
  const systems: Record<string, [string, string]> = {
    ceiling: ["a", "HTTP ceiling"],
    ack: ["a", "JetStream ack-only ceiling"],
    relay: ["a", RELAY],
    a: ["a", "hookswitch"],
    c: ["c", "hookswitch, 10 matching integrations"],
    d: ["d", "hookswitch, 10000 integrations loaded, 1 matching"],
  };
  return Object.entries(rates).map(([key, rate]) => {
    const [scenario, system] = systems[key] ?? ["?", key];
    const cpu = cpuPer1k[key];
    return {
      rep,
      scenario,
      system,
      result: { rate, complete: true, duplicates: 0, cpuPer1k: cpu },
    };
  });
}

const byId = (list: Target[], id: string) => list.find((t) => t.id === id);

describe("bench report: targets", () => {
  it("takes each ratio against the ceiling of its own repetition, then the median", () => {
    // Per repetition: 0.6, 0.5 and 0.4 of the ceiling; pooled rates would give 0.47.
    const rows = [
      ...repetition(0, { ceiling: 10_000, a: 6_000 }),
      ...repetition(1, { ceiling: 20_000, a: 10_000 }),
      ...repetition(2, { ceiling: 30_000, a: 12_000 }),
    ];
    const a = byId(report.targets(rows), "a");
    expect(a?.value).toBeCloseTo(0.5, 10);
    expect(a?.met).toBe(false);
  });

  it.each([
    ["(a) at its bound", "a", { ceiling: 10_000, a: 6_000 }, 0.6, true],
    ["(a) below it", "a", { ceiling: 10_000, a: 5_999 }, 0.5999, false],
    ["(c) in deliveries", "c", { ceiling: 10_000, c: 5_000 }, 0.5, true],
    ["(d) against (a), not the ceiling", "d", { ceiling: 10_000, a: 5_000, d: 4_400 }, 0.88, false],
  ] as const)("judges %s", (_what, id, rates, value, met) => {
    const target = byId(report.targets(repetition(0, rates)), id);
    expect(target?.value).toBeCloseTo(value, 10);
    expect(target?.met).toBe(met);
  });

  it("prints one event loop's ideal and the relay beside (a)", () => {
    // 1 / (1/10,000 + 1/40,000) = 8,000 events/s: 0.8 of the ceiling.
    const rows = repetition(0, { ceiling: 10_000, ack: 40_000, relay: 7_000, a: 5_000 });
    expect(byId(report.targets(rows), "a")?.context).toBe(
      "one loop's ideal, 1 / (1/HTTP + 1/ack-only): 0.80×; the lean relay: 0.70×",
    );
  });

  it("prints (a)'s CPU budget per event beside hookswitch's and the relay's", () => {
    // CPU ms per 1,000: 30 per request allows 50 per event at 0.6×; 30 + 15 is unavoidable.
    const rows = repetition(
      0,
      { ceiling: 10_000, ack: 40_000, relay: 7_000, a: 5_000 },
      { ceiling: 30, ack: 15, relay: 60, a: 75 },
    );
    expect(byId(report.targets(rows), "a")?.context).toBe(
      "one loop's ideal, 1 / (1/HTTP + 1/ack-only): 0.80×; the lean relay: 0.70×; " +
        "CPU µs per event: hookswitch 75, the lean relay 60; 0.6× allows 50 " +
        "(the load generator's 30 per request ÷ 0.6), of which a request and an ack-only message take 45",
    );
  });

  it("calls a target not measured when its run is missing", () => {
    const lines = report.targetLines(report.targets(repetition(0, { ceiling: 10_000, a: 7_000 })));
    expect(lines.find((l) => l.startsWith("- (a)"))).toContain("0.70× — met");
    expect(lines.find((l) => l.startsWith("- (c)"))).toContain("not measured");
    expect(lines.find((l) => l.startsWith("- (f)"))).toContain("not measured");
  });
});

describe("bench report: aggregate", () => {
  it("counts complete runs and keeps the largest duplicate count", () => {
    const rows = [
      ...repetition(0, { ceiling: 10_000, a: 5_000 }),
      ...repetition(1, { ceiling: 10_000, a: 6_000 }),
    ];
    const second = rows.find((r) => r.rep === 1 && r.system === "hookswitch");
    if (second) second.result = { ...second.result, complete: false, duplicates: 3 };
    const hookswitch = report.aggregate(rows).find((e) => e.system === "hookswitch");
    expect(hookswitch).toMatchObject({ complete: 1, duplicates: 3 });
    expect(hookswitch?.ratio).toBeCloseTo(0.55, 10);
  });

  it("lists the systems in the scenarios' order, not the order they ran in", () => {
    const ran = [
      { index: 4, system: "hookswitch" },
      { index: 0, system: "HTTP ceiling" },
      { index: 3, system: RELAY },
    ].map(({ index, system }) => ({ rep: 0, index, scenario: "a", system, result: { rate: 1 } }));
    expect(report.aggregate(ran).map((e) => e.system)).toEqual([
      "HTTP ceiling",
      RELAY,
      "hookswitch",
    ]);
  });
});

describe("bench run order", () => {
  const runs = [
    { name: "ceiling", block: "paired" },
    { name: "ack-only" },
    { name: "baseline" },
    { name: "hookswitch (a)", block: "paired" },
    { name: "fan-out" },
    { name: "(d)", block: "paired" },
    { name: "slow receiver" },
  ];
  const names = (rep: number) => runOrder(runs, rep).map((run) => run.name);

  it.each([0, 1, 2, 3, 4])("runs every run once in repetition %i", (rep) => {
    expect(names(rep).toSorted()).toEqual(runs.map((run) => run.name).toSorted());
  });

  it.each([0, 1, 2, 3, 4])("runs a block back to back, in its order, in repetition %i", (rep) => {
    const order = names(rep);
    const start = order.indexOf("ceiling");
    expect(order.slice(start, start + 3)).toEqual(["ceiling", "hookswitch (a)", "(d)"]);
  });

  it("starts each repetition at a different block", () => {
    const firsts = [0, 1, 2, 3, 4].map((rep) => names(rep)[0]);
    expect(new Set(firsts).size).toBe(5);
  });
});
