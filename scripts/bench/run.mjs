// `npm run bench`: hookswitch against ceilings measured in the same run, with a baseline.
//   node scripts/bench/run.mjs [--quick] [--reps N] [--events N] [--profile a|b|c|d|e|f] [--no-profile]
//                              [--only a,e] (those scenarios and the HTTP ceiling; the doc is left alone)
// BENCH_HOOKSWITCH_NODE_FLAGS="--flag …" gives Node.js flags to the hookswitch processes only.
// Starts its own nats-server and receiver, runs every scenario (interleaved, repeated),
// profiles one drain, prints the table and writes docs/benchmarks.md. Nothing asserts times.
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, type as osType, release } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { connect } from "@nats-io/transport-node";
import { createStream, publishBacklog } from "./events.mjs";
import { formatProfile, summariseProfile } from "./profile.mjs";
import { aggregate, table, targetLines, targets, writeDoc } from "./report.mjs";
import { FANOUT, STREAMS, runOrder, runsOf, writeFolders } from "./scenarios.mjs";
import { CLI, startReceiver } from "./systems.mjs";
import { natsServerVersion, startNats } from "./support.mjs";

const { values: flags } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    reps: { type: "string" },
    events: { type: "string" },
    "no-profile": { type: "boolean", default: false },
    profile: { type: "string", default: "a" },
    "no-doc": { type: "boolean", default: false },
    only: { type: "string" },
  },
});
const quick = flags.quick;
const options = {
  mode: quick ? "quick" : "full",
  events: Number(flags.events ?? (quick ? 5_000 : 50_000)),
  reps: Number(flags.reps ?? (quick ? 1 : 5)),
  latencyMs: quick ? 3_000 : 10_000,
  timeoutMs: 120_000,
  manyCount: 10_000,
};
/** Scenarios to run (all when empty); the HTTP ceiling always runs, every ratio needs it. */
const only = new Set((flags.only ?? "").split(",").filter(Boolean));
const wanted = (run) => only.size === 0 || only.has(run.scenario) || run.system === "HTTP ceiling";
const DOC = fileURLToPath(new URL("../../docs/benchmarks.md", import.meta.url));
const log = (...args) =>
  console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...args);

if (!existsSync(CLI)) throw new Error("dist/cli.js is missing: run `npm run build` first");

/** A fresh server with the drain backlog and the fan-out backlog published before any consumer. */
async function freshServer() {
  const nats = await startNats();
  const nc = await connect({ servers: nats.url });
  for (const stream of Object.values(STREAMS)) await createStream(nc, stream.name, stream.prefix);
  const started = performance.now();
  await publishBacklog(nc, STREAMS.drain.prefix, options.events);
  await publishBacklog(nc, STREAMS.fanout.prefix, Math.floor(options.events / FANOUT), {
    account: "fan",
  });
  log(`published backlogs in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return {
    nats,
    nc,
    async close() {
      await nc.close();
      await nats.dispose();
    },
  };
}

async function repetition(rep, receiver, dirs) {
  const server = await freshServer();
  const ctx = {
    ...options,
    rep,
    receiver,
    dirs,
    natsUrl: server.nats.url,
    nc: server.nc,
    neighbours: [server.nats.pid, receiver.pid],
  };
  const runs = runsOf(ctx)
    .map((run, index) => ({ ...run, index }))
    .filter(wanted);
  const order = runOrder(runs, rep);
  const rows = [];
  try {
    for (const run of order) {
      log(`rep ${rep + 1}/${options.reps}: (${run.scenario}) ${run.system}`);
      let result;
      let error;
      try {
        result = await run.run();
      } catch (err) {
        error = String(err?.stack ?? err).slice(0, 2_000);
        result = { complete: false, rate: NaN };
        log(`  failed: ${error}`);
      }
      const shown =
        run.unit === "ms p99"
          ? `p99 ${result.latency?.p99?.toFixed(1)} ms`
          : `${result.rate?.toFixed(0)} /s`;
      log(`  ${shown}, ${result.count ?? 0} counted, complete: ${result.complete}`);
      const { index, scenario, system, unit } = run;
      rows.push({ rep, index, scenario, system, unit, result, error });
    }
  } finally {
    await server.close();
  }
  return rows;
}

async function profileDrain(receiver, dirs) {
  const profileDir = mkdtempSync(join(tmpdir(), "hookswitch-bench-prof-"));
  const server = await freshServer();
  try {
    const ctx = {
      ...options,
      rep: 99,
      receiver,
      dirs,
      natsUrl: server.nats.url,
      nc: server.nc,
      profileDir,
    };
    const scenario = flags.profile;
    const drain = runsOf(ctx).find(
      (r) =>
        r.scenario === scenario &&
        r.system.startsWith("hookswitch") &&
        !r.system.includes("default"),
    );
    if (!drain) return `no hookswitch run in scenario ${scenario}`;
    const result = await drain.run();
    log(`profiled (${scenario}): ${result.rate.toFixed(0)} /s (slower under the profiler)`);
    const file = readdirSync(profileDir).find((f) => f.endsWith(".cpuprofile"));
    if (!file) return "no profile was written";
    log(`CPU profile kept at ${join(profileDir, file)}`);
    return formatProfile(summariseProfile(join(profileDir, file), 30));
  } catch (err) {
    return `profiling failed: ${String(err?.stack ?? err)}`;
  } finally {
    await server.close();
  }
}

function machineFacts() {
  const list = cpus();
  return {
    os: `${osType()} ${release()}`,
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? "unknown",
    node: process.version,
    nats: natsServerVersion(),
  };
}

const receiver = await startReceiver();
const folders = writeFolders(receiver.url, options.manyCount);
const rows = [];
try {
  log(`${options.mode} mode: ${options.events} events per drain, ${options.reps} repetition(s)`);
  for (let rep = 0; rep < options.reps; rep++)
    rows.push(...(await repetition(rep, receiver, folders.dirs)));
  const profile = flags["no-profile"] ? undefined : await profileDrain(receiver, folders.dirs);
  const entries = aggregate(rows);
  const machine = machineFacts();
  console.log(`\n${table(entries)}\n\nTargets:\n${targetLines(targets(rows)).join("\n")}`);
  if (profile) console.log(`\nCPU profile of hookswitch during (${flags.profile}):\n${profile}`);
  const raw = join(tmpdir(), `hookswitch-bench-${Date.now()}.json`);
  writeFileSync(raw, JSON.stringify({ options, machine, rows, profile }, null, 2));
  log(`raw results: ${raw}`);
  // A partial run would leave the doc's table half old: only a full set of scenarios is written.
  if (!flags["no-doc"] && only.size === 0) writeDoc(DOC, { entries, rows, machine, options });
} finally {
  folders.dispose();
  await receiver.close();
}
