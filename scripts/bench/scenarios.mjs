// What one repetition runs: the ceilings, the baseline and hookswitch on each scenario.
// Every run gets a fresh consumer on streams published once per repetition, so runs of one
// repetition read the same backlog and repetitions share nothing (a fresh server each).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { publishAtRate } from "./events.mjs";
import {
  integrationDoc,
  SIGNING_SECRET,
  measureArrivals,
  startBaseline,
  startCeiling,
  startHookswitch,
  writeIntegrations,
} from "./systems.mjs";
import { sampleProcess, sleep } from "./support.mjs";

export const STREAMS = {
  drain: { name: "BENCH_DRAIN", prefix: "bench.drain" },
  fanout: { name: "BENCH_FANOUT", prefix: "bench.fanout" },
  live: { name: "BENCH_LIVE", prefix: "bench.live" },
};
export const FANOUT = 10;
/** Replicas of the scale-out run (f): on two cores, a second one already competes for CPU. */
export const REPLICAS = 2;
const HS_ARGS = ["--max-in-flight", "64"];
const SIGNED = { signed: true };
/** Latency runs publish this long at the same rate before measuring. */
const WARM_UP_MS = 2_000;
/** The leanest JetStream-to-HTTP path, measured at (b)'s rate: what the machine allows. */
export const LATENCY_FLOOR = "lean relay (latency floor)";
/** (a)'s backlog drained by one event loop that only consumes, POSTs and acks. */
export const LEAN_RELAY = "lean relay (consume, POST, ack; hookswitch's transport)";

/** Integration folders, written once per benchmark run (the receiver's URL is fixed). */
export function writeFolders(receiverUrl, manyCount) {
  const root = mkdtempSync(join(tmpdir(), "hookswitch-bench-dirs-"));
  const folder = (name, docs) => {
    writeIntegrations(join(root, name), docs);
    return join(root, name);
  };
  const url = receiverUrl;
  const others = Array.from({ length: manyCount - 1 }, (_, i) =>
    integrationDoc({ name: `other-${i}`, account: `other-${i}`, maxInFlight: 64, url }),
  );
  const dirs = {
    drain: folder("drain", [integrationDoc({ name: "drain", maxInFlight: 64, url })]),
    defaults: folder("defaults", [integrationDoc({ name: "defaults", url })]),
    many: folder("many", [...others, integrationDoc({ name: "many", maxInFlight: 64, url })]),
    slow: folder("slow", [
      integrationDoc({ name: "fast", maxInFlight: 64, url }),
      integrationDoc({ name: "slow", url }),
    ]),
    fanout: folder(
      "fanout",
      Array.from({ length: FANOUT }, (_, i) =>
        integrationDoc({ name: `fan-${i}`, account: "fan", maxInFlight: 64, url }),
      ),
    ),
    live: folder("live", [integrationDoc({ name: "live", maxInFlight: 64, url })]),
  };
  return { dirs, dispose: () => rmSync(root, { recursive: true, force: true }) };
}

/** What the receiver checks: hookswitch's deliveries must carry a valid signature. */
const checks = (signed) => (signed ? { signingSecret: SIGNING_SECRET } : {});

/** `slowGroups`: the receiver's delay in ms by path group. */
async function drainWith(ctx, start, groups, expected, { slowGroups, signed = false } = {}) {
  await ctx.receiver.reset({ slow: slowGroups, ...checks(signed) });
  const proc = await start();
  try {
    return await measureArrivals({
      receiver: ctx.receiver,
      proc,
      groups,
      expected,
      timeoutMs: ctx.timeoutMs,
      neighbours: ctx.neighbours,
    });
  } finally {
    await proc.stop();
  }
}

const hookswitch = (ctx, stream, consumer, dir, args = HS_ARGS, deliver = "all") =>
  startHookswitch({
    natsUrl: ctx.natsUrl,
    stream: stream.name,
    prefix: stream.prefix,
    consumer: `${consumer}-${ctx.rep}`,
    dir,
    deliver,
    args,
    profileDir: ctx.profileDir,
  });

/**
 * Several `hookswitch run` processes on one durable consumer, as replicas of one
 * deployment: measured together (CPU and RSS summed), stopped together.
 */
async function replicas(ctx, stream, consumer, dir, count) {
  const procs = [];
  try {
    for (let i = 0; i < count; i++) procs.push(await hookswitch(ctx, stream, consumer, dir));
  } catch (error) {
    await Promise.all(procs.map((p) => p.stop()));
    throw error;
  }
  return {
    pids: procs.map((p) => p.pid),
    children: procs.map((p) => p.child),
    output: () => procs.map((p) => p.output()).join("\n"),
    stop: () => Promise.all(procs.map((p) => p.stop())),
  };
}

async function ackCeiling(ctx) {
  const consumer = `ack-${ctx.rep}`;
  const args = ["ack", ctx.natsUrl, STREAMS.drain.name, consumer, ctx.events, ctx.timeoutMs];
  const proc = startCeiling(args.map(String));
  const sampler = sampleProcess(proc.pid);
  const code = await proc.exited;
  sampler.stop();
  const result = JSON.parse(proc.output().trim().split("\n").at(-1) || "{}");
  if (code !== 0) throw new Error(`ack ceiling failed:\n${proc.output()}`);
  const seconds = (result.last - result.first) / 1000;
  return {
    count: result.count,
    complete: result.count >= ctx.events,
    rate: (result.count - 1) / seconds,
    cpuPer1k: (sampler.cpuMsBetween(result.first, result.last) / result.count) * 1000,
    rssMb: sampler.peakRssMb(),
  };
}

async function latencyWith(ctx, start, group, { signed = false } = {}) {
  await ctx.receiver.reset({ latency: true, ...checks(signed) });
  const proc = await start();
  try {
    await proc.ready?.();
    if (!proc.ready) await sleep(2_000); // the baseline creates its consumer at start
    // A warm-up at the same rate first (connections, JIT), left out of the percentiles.
    const warm = await publishAtRate(ctx.nc, STREAMS.live.prefix, 1_000, WARM_UP_MS, {
      warmUp: true,
    });
    const sent = publishAtRate(ctx.nc, STREAMS.live.prefix, 1_000, ctx.latencyMs);
    return await measureArrivals({
      receiver: ctx.receiver,
      proc,
      groups: [group],
      expected: sent.then((n) => n + warm),
      timeoutMs: ctx.latencyMs + ctx.timeoutMs,
      neighbours: ctx.neighbours,
    });
  } finally {
    await proc.stop();
  }
}

/** (a) is read against the HTTP ceiling and (d) against (a): the three run back to back. */
const PAIRED = "ceiling, (a), (d)";

/**
 * Every run of one repetition: scenario, system, unit, the block of runs it goes with,
 * and how to run it.
 */
export function runsOf(ctx) {
  const { dirs, events } = ctx;
  const drain = STREAMS.drain;
  return [
    {
      scenario: "a",
      system: "HTTP ceiling",
      block: PAIRED,
      run: () =>
        drainWith(
          ctx,
          () => startCeiling(["http", `${ctx.receiver.url}/ceiling`, String(events), "64"]),
          ["ceiling"],
          events,
        ),
    },
    { scenario: "a", system: "JetStream ack-only ceiling", run: () => ackCeiling(ctx) },
    {
      scenario: "a",
      system: "baseline script",
      run: () =>
        drainWith(
          ctx,
          () =>
            startBaseline({
              natsUrl: ctx.natsUrl,
              stream: drain.name,
              consumer: `baseline-${ctx.rep}`,
              url: `${ctx.receiver.url}/baseline`,
              deliver: "all",
            }),
          ["baseline"],
          events,
        ),
    },
    {
      scenario: "a",
      system: LEAN_RELAY,
      run: () =>
        drainWith(
          ctx,
          () =>
            startCeiling([
              "drain-relay",
              ctx.natsUrl,
              drain.name,
              `relay-${ctx.rep}`,
              `${ctx.receiver.url}/relay`,
            ]),
          ["relay"],
          events,
        ),
    },
    {
      scenario: "a",
      system: "hookswitch",
      block: PAIRED,
      run: () =>
        drainWith(ctx, () => hookswitch(ctx, drain, "a", dirs.drain), ["drain"], events, SIGNED),
    },
    {
      scenario: "a",
      system: "hookswitch, default caps (64 per integration, 256 global)",
      run: () =>
        drainWith(
          ctx,
          () => hookswitch(ctx, drain, "a0", dirs.defaults, []),
          ["defaults"],
          events,
          SIGNED,
        ),
    },
    {
      scenario: "c",
      system: `hookswitch, ${FANOUT} matching integrations`,
      unit: "deliveries/s",
      run: () => {
        const groups = Array.from({ length: FANOUT }, (_, i) => `fan-${i}`);
        const expected = Math.floor(events / FANOUT) * FANOUT;
        return drainWith(
          ctx,
          () => hookswitch(ctx, STREAMS.fanout, "c", dirs.fanout),
          groups,
          expected,
          SIGNED,
        );
      },
    },
    {
      scenario: "d",
      system: `hookswitch, ${ctx.manyCount} integrations loaded, 1 matching`,
      block: PAIRED,
      run: () =>
        drainWith(ctx, () => hookswitch(ctx, drain, "d", dirs.many), ["many"], events, SIGNED),
    },
    {
      scenario: "f",
      system: `hookswitch, ${REPLICAS} replicas on one consumer`,
      run: () =>
        drainWith(
          ctx,
          () => replicas(ctx, drain, "f", dirs.drain, REPLICAS),
          ["drain"],
          events,
          SIGNED,
        ),
    },
    {
      scenario: "e",
      system: "hookswitch, fast integration beside a 50 ms one",
      run: () =>
        // Default global cap: with it at 64, the slow integration's own 64 would fill it.
        drainWith(ctx, () => hookswitch(ctx, drain, "e", dirs.slow, []), ["fast"], events, {
          slowGroups: { slow: 50 },
          signed: true,
        }),
    },
    {
      scenario: "b",
      system: "baseline script",
      unit: "ms p99",
      run: () =>
        latencyWith(
          ctx,
          () =>
            startBaseline({
              natsUrl: ctx.natsUrl,
              stream: STREAMS.live.name,
              consumer: `baseline-live-${ctx.rep}`,
              url: `${ctx.receiver.url}/baseline-live`,
              deliver: "new",
            }),
          "baseline-live",
        ),
    },
    {
      scenario: "b",
      system: LATENCY_FLOOR,
      unit: "ms p99",
      run: () =>
        latencyWith(
          ctx,
          () =>
            startCeiling([
              "relay",
              ctx.natsUrl,
              STREAMS.live.name,
              `relay-live-${ctx.rep}`,
              `${ctx.receiver.url}/relay-live`,
            ]),
          "relay-live",
        ),
    },
    {
      scenario: "b",
      system: "hookswitch",
      unit: "ms p99",
      run: () =>
        latencyWith(
          ctx,
          () => hookswitch(ctx, STREAMS.live, "b", dirs.live, HS_ARGS, "new"),
          "live",
          SIGNED,
        ),
    },
  ];
}

/**
 * The order of one repetition's runs. Runs whose figures are compared with each other (one
 * `block`) run back to back, so that the machine's drift from one minute to the next does
 * not enter their ratio; every other run is a block of its own. Each repetition starts at a
 * different block, so that no system always runs first.
 */
export function runOrder(runs, rep) {
  const blocks = new Map();
  runs.forEach((run, i) => {
    const key = run.block ?? `#${i}`;
    if (!blocks.has(key)) blocks.set(key, []);
    blocks.get(key).push(run);
  });
  const list = [...blocks.values()];
  return list.flatMap((_, i) => list[(i + rep * 3) % list.length]);
}
