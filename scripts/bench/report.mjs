// Turns the runs of every repetition into one table (medians, min–max, ratios to the HTTP
// ceiling of the same repetition), checks the targets, and writes docs/benchmarks.md.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { LATENCY_FLOOR, LEAN_RELAY } from "./scenarios.mjs";

const CEILING = { scenario: "a", system: "HTTP ceiling" };
const ACK_CEILING = { scenario: "a", system: "JetStream ack-only ceiling" };
const START = "<!-- bench:results:start -->";
const END = "<!-- bench:results:end -->";

/** The median of the finite values (NaN when there are none). */
export const median = (values) => {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const fmt = (n, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : "–");
const spread = (values, digits = 0) => {
  const finite = values.filter(Number.isFinite);
  if (finite.length < 2) return fmt(median(values), digits);
  return `${fmt(median(finite), digits)} (${fmt(Math.min(...finite), digits)}–${fmt(Math.max(...finite), digits)})`;
};

const figureOf = (row) => (row.unit === "ms p99" ? row.result.latency?.p99 : row.result.rate);
const find = (rows, rep, { scenario, system }) =>
  rows.find((r) => r.rep === rep && r.scenario === scenario && r.system === system);

/** One entry per scenario and system, in first-seen order. */
export function aggregate(rows) {
  const groups = new Map();
  for (const row of rows) {
    const key = `${row.scenario}|${row.system}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(row);
  }
  const entries = [...groups.values()].map((runs) => {
    const { scenario, system, unit, index } = runs[0];
    const ratios = runs.map((r) => figureOf(r) / figureOf(find(rows, r.rep, CEILING) ?? r));
    return {
      scenario,
      system,
      unit,
      index,
      figures: runs.map(figureOf),
      ratio: unit === "ms p99" ? NaN : median(ratios),
      latency: ["p50", "p95", "p99"].map((p) => median(runs.map((r) => r.result.latency?.[p]))),
      rssMb: median(runs.map((r) => r.result.rssMb)),
      cpuPer1k: median(runs.map((r) => r.result.cpuPer1k)),
      neighboursCpuPer1k: median(runs.map((r) => r.result.neighboursCpuPer1k)),
      duplicates: Math.max(...runs.map((r) => r.result.duplicates ?? 0)),
      complete: runs.filter((r) => r.result.complete).length,
      runs: runs.length,
      errors: runs.map((r) => r.error).filter(Boolean),
    };
  });
  // By scenario, then in the order the scenarios list them (not the order they ran in).
  return entries.sort(
    (a, b) => a.scenario.localeCompare(b.scenario) || (a.index ?? 0) - (b.index ?? 0),
  );
}

export function table(entries) {
  const head = [
    "| scenario | system | figure: median (min–max) | × HTTP ceiling | peak RSS MB | CPU ms / 1k events | nats-server + receiver CPU ms / 1k | duplicates (max) | complete |",
    "|---|---|---|---|---|---|---|---|---|",
  ];
  const lines = entries.map((e) => {
    const figure =
      e.unit === "ms p99"
        ? `p99 ${spread(e.figures, 1)} ms (p50 ${fmt(e.latency[0], 1)}, p95 ${fmt(e.latency[1], 1)})`
        : `${spread(e.figures)} ${e.unit ?? "events/s"}`;
    const cpu = fmt(e.cpuPer1k);
    const neighbours = fmt(e.neighboursCpuPer1k);
    return `| ${e.scenario} | ${e.system} | ${figure} | ${fmt(e.ratio, 2)} | ${fmt(e.rssMb)} | ${cpu} | ${neighbours} | ${e.duplicates} | ${e.complete}/${e.runs} |`;
  });
  return [...head, ...lines].join("\n");
}

/**
 * (a) in CPU: a drain bound by one event loop reaches 0.6× the ceiling when it spends at
 * most the load generator's CPU per request ÷ 0.6 per event, and a request and a consumed,
 * acknowledged message (each at its ceiling's cost) are part of every event's spend.
 * Medians of the repetitions' CPU per event (ms per 1,000 is µs per event); undefined
 * unless all four were measured.
 */
function cpuBudget(rows, reps) {
  const usOf = (ref) => median(reps.map((rep) => find(rows, rep, ref)?.result.cpuPer1k));
  const [request, ack] = [usOf(CEILING), usOf(ACK_CEILING)];
  const [hookswitch, relay] = [
    usOf({ scenario: "a", system: "hookswitch" }),
    usOf({ scenario: "a", system: LEAN_RELAY }),
  ];
  if (![request, ack, hookswitch, relay].every(Number.isFinite)) return undefined;
  return (
    `CPU µs per event: hookswitch ${fmt(hookswitch)}, the lean relay ${fmt(relay)}; ` +
    `0.6× allows ${fmt(request / 0.6)} (the load generator's ${fmt(request)} per request ÷ 0.6), ` +
    `of which a request and an ack-only message take ${fmt(request + ack)}`
  );
}

/** Per-repetition ratios for the targets, then their medians. */
export function targets(rows) {
  const reps = [...new Set(rows.map((r) => r.rep))];
  const per = (scenario, system, base) =>
    median(
      reps.map((rep) => {
        const row = rows.find(
          (r) => r.rep === rep && r.scenario === scenario && r.system === system,
        );
        const against = find(rows, rep, base);
        return row && against ? figureOf(row) / figureOf(against) : NaN;
      }),
    );
  const hsA = { scenario: "a", system: "hookswitch" };
  // The hookswitch run of a scenario (not the default-caps variant of (a)).
  const sys = (id) =>
    rows.find((r) => r.scenario === id && r.system.startsWith("hookswitch"))?.system ?? "";
  const p99Of = (system) =>
    median(rows.filter((r) => r.scenario === "b" && r.system === system).map(figureOf));
  const p99 = p99Of("hookswitch");
  const floor = p99Of(LATENCY_FLOOR);
  // One event loop that only consumes and POSTs, at the ceilings' own costs:
  // 1 / (1/HTTP + 1/ack-only) events/s, as a ratio to the HTTP ceiling.
  const ideal = median(
    reps.map((rep) => {
      const [http, ack] = [find(rows, rep, CEILING), find(rows, rep, ACK_CEILING)];
      return http && ack ? figureOf(ack) / (figureOf(ack) + figureOf(http)) : NaN;
    }),
  );
  const relay = per("a", LEAN_RELAY, CEILING);
  const budget = cpuBudget(rows, reps);
  return [
    {
      id: "a",
      goal: "drain ≥ 0.6 × HTTP ceiling",
      value: per("a", "hookswitch", CEILING),
      min: 0.6,
      context: [
        Number.isFinite(ideal) && `one loop's ideal, 1 / (1/HTTP + 1/ack-only): ${fmt(ideal, 2)}×`,
        Number.isFinite(relay) && `the lean relay: ${fmt(relay, 2)}×`,
        budget,
      ]
        .filter(Boolean)
        .join("; "),
    },
    {
      id: "b",
      goal: "p99 ≤ 5 ms at 1,000 events/s",
      value: p99,
      max: 5,
      unit: "ms",
      context: Number.isFinite(floor) ? `the lean relay's p99: ${fmt(floor, 1)} ms` : undefined,
    },
    {
      id: "c",
      goal: "fan-out ≥ 0.5 × HTTP ceiling (deliveries)",
      value: per("c", sys("c"), CEILING),
      min: 0.5,
    },
    {
      id: "d",
      goal: "10,000 integrations within 10% of (a)",
      value: per("d", sys("d"), hsA),
      min: 0.9,
    },
    {
      id: "e",
      goal: "fast integration ≥ 0.5 × its (a) rate",
      value: per("e", sys("e"), hsA),
      min: 0.5,
    },
    {
      id: "f",
      goal: "two replicas on one consumer, relative to one (a) (no target: evidence)",
      value: per("f", sys("f"), hsA),
    },
  ].map((t) => ({ ...t, met: t.min !== undefined ? t.value >= t.min : t.value <= t.max }));
}

export function targetLines(list) {
  return list.map((t) => {
    const value = t.unit === "ms" ? `${fmt(t.value, 1)} ms` : `${fmt(t.value, 2)}×`;
    const verdict = !Number.isFinite(t.value)
      ? "not measured"
      : t.min === undefined && t.max === undefined
        ? "measured"
        : t.met
          ? "met"
          : "MISSED";
    const context = t.context ? ` (${t.context})` : "";
    return `- (${t.id}) ${t.goal}: ${value} — ${verdict}${context}`;
  });
}

export function writeDoc(path, { entries, rows, machine, options }) {
  const results = [
    START,
    `Last run: ${options.mode} mode, ${options.events.toLocaleString("en")} events per drain, ` +
      `${options.reps} repetition(s), ${new Date().toISOString().slice(0, 10)}.`,
    "",
    `Machine: ${machine.os}; ${machine.cpus} × ${machine.cpuModel}; Node.js ${machine.node}; ${machine.nats}.`,
    "",
    table(entries),
    "",
    "Targets (medians of per-repetition ratios):",
    "",
    ...targetLines(targets(rows)),
    END,
  ].join("\n");
  const current = existsSync(path) ? readFileSync(path, "utf8") : "";
  const at = current.indexOf(START);
  const end = current.indexOf(END);
  const doc =
    at !== -1 && end !== -1
      ? current.slice(0, at) + results + current.slice(end + END.length)
      : `# Benchmarks\n\n${results}\n`;
  writeFileSync(path, doc);
}
