// Instructions per event on (a)'s path, counted by valgrind's callgrind: the lean relay and
// hookswitch (or several builds of it) each take the same events through their own process
// under callgrind, counting only after a warm-up. A drain's CPU time on this shared machine
// swings by a fifth between repetitions of the same code; an instruction count does not
// depend on what else the machine is doing, so it can tell changes of a few percent apart.
//
// usage: node scripts/bench/instructions.mjs [--reps 2] [--warm 2500] [--events 6000]
//                                           [--build label=path/to/dist ...]
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { connect } from "@nats-io/transport-node";
import { createStream, publishBacklog } from "./events.mjs";
import { median } from "./report.mjs";
import { freePort, sleep, startNats, stopChild, waitFor } from "./support.mjs";
import {
  CEILINGS,
  hookswitchRunArgs,
  integrationDoc,
  startReceiver,
  writeIntegrations,
} from "./systems.mjs";

const { values: flags } = parseArgs({
  options: {
    reps: { type: "string", default: "2" },
    warm: { type: "string", default: "2500" },
    events: { type: "string", default: "6000" },
    build: { type: "string", multiple: true },
  },
});
const [REPS, WARM, EVENTS] = [flags.reps, flags.warm, flags.events].map(Number);
const DIST = fileURLToPath(new URL("../../dist", import.meta.url));
const builds = (flags.build ?? [`hookswitch=${DIST}`]).map((spec) => {
  const [label, dir] = spec.split("=");
  return { label, dist: resolve(dir) };
});
try {
  execFileSync("valgrind", ["--version"], { stdio: "ignore" });
} catch {
  throw new Error("valgrind is not installed: this benchmark counts instructions with callgrind");
}

const CALLGRIND = [
  "--tool=callgrind",
  "--smc-check=all-non-file", // V8 writes the machine code it runs
  "--instr-atstart=no",
  "--separate-threads=yes",
  "--dump-line=no",
];
/** The longest wait for a batch of deliveries: a process runs 50–100× slower under callgrind. */
const DELIVERIES_WAIT_MS = 15 * 60_000;

const nats = await startNats();
const nc = await connect({ servers: nats.url });
const receiver = await startReceiver();
const work = mkdtempSync(join(tmpdir(), "hookswitch-instructions-"));
writeIntegrations(join(work, "integrations"), [
  integrationDoc({ name: "drain", maxInFlight: 64, url: receiver.url }),
]);
let runs = 0;

/** The command line of one system, reading its own new stream. */
async function commandOf(system, stream, subjects) {
  if (system.relay) {
    return [CEILINGS, "drain-relay", nats.url, stream, "relay", `${receiver.url}/drain`];
  }
  return hookswitchRunArgs({
    cli: join(system.dist, "cli.js"),
    natsUrl: nats.url,
    stream,
    subjects,
    consumer: "hookswitch",
    dir: join(work, "integrations"),
    deliver: "all",
    port: await freePort(),
    args: ["--max-in-flight", "64"],
  });
}

const delivered = async () => (await receiver.stats()).groups?.drain?.unique ?? 0;

/** Publishes `count` events and waits until the receiver has them all. */
async function deliver(prefix, count) {
  const before = await delivered();
  await publishBacklog(nc, prefix, count);
  await waitFor(async () => (await delivered()) >= before + count, {
    timeoutMs: DELIVERIES_WAIT_MS,
    what: `${count} deliveries`,
    everyMs: 250,
  });
}

/** Instructions of the main thread and of all threads, per event, after the warm-up. */
async function measure(system) {
  const run = ++runs;
  const [stream, prefix] = [`INSTR${run}`, `instr${run}`];
  await createStream(nc, stream, prefix);
  await receiver.reset({});
  const out = join(work, `run-${run}`);
  const args = await commandOf(system, stream, `${prefix}.>`);
  const child = spawn(
    "valgrind",
    [...CALLGRIND, `--callgrind-out-file=${out}`, process.execPath, ...args],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const exited = new Promise((done) => child.once("exit", done));
  let output = "";
  const keep = (chunk) => (output = (output + chunk.toString()).slice(-20_000));
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  try {
    // Both take events as they come: the warm-up shows that they are reading.
    await deliver(prefix, WARM);
    await sleep(500);
    execFileSync("callgrind_control", ["--instr=on", String(child.pid)], { stdio: "ignore" });
    await deliver(prefix, EVENTS);
    execFileSync("callgrind_control", ["--instr=off", String(child.pid)], { stdio: "ignore" });
    execFileSync("callgrind_control", ["--dump", String(child.pid)], { stdio: "ignore" });
  } catch (error) {
    throw new Error(`${system.label}: ${error.message}\n${output}`);
  } finally {
    await stopChild(child, "SIGTERM", 60_000);
    await exited;
  }
  return countsIn(out, EVENTS);
}

/** Sums callgrind's totals per thread over the dump files of one run. */
function countsIn(out, events) {
  let all = 0;
  let main = 0;
  const prefix = out.slice(work.length + 1);
  for (const name of readdirSync(work).filter((file) => file.startsWith(`${prefix}.`))) {
    const text = readFileSync(join(work, name), "utf8");
    const total = Number(/^totals: (\d+)/m.exec(text)?.[1] ?? 0);
    all += total;
    if (/^thread: 1$/m.test(text)) main += total;
  }
  return { main: main / events, all: all / events };
}

const systems = [{ label: "lean relay", relay: true }, ...builds];
const results = new Map(systems.map((system) => [system.label, []]));
try {
  for (let rep = 0; rep < REPS; rep++) {
    // Each repetition starts at a different system.
    const order = systems.map((_, i) => systems[(i + rep) % systems.length]);
    for (const system of order) {
      console.error(`[instructions] rep ${rep + 1}/${REPS}: ${system.label}`);
      const counts = await measure(system);
      results.get(system.label).push(counts);
      console.error(
        `  main thread ${kilo(counts.main)}, all threads ${kilo(counts.all)} per event`,
      );
    }
  }
} finally {
  await receiver.close();
  await nc.close();
  await nats.dispose();
  rmSync(work, { recursive: true, force: true });
}

function kilo(n) {
  return `${(n / 1000).toFixed(1)}k`;
}
const relayMain = median(results.get("lean relay").map((r) => r.main));
console.log(
  `\nInstructions per event after ${WARM} warm-up events, ${EVENTS} counted, ${REPS} repetition(s)\n`,
);
console.log("| system | main thread: median (each) | × lean relay | all threads: median |");
console.log("|---|---|---|---|");
for (const [label, counts] of results) {
  const mains = counts.map((r) => r.main);
  const each = mains.map(kilo).join(", ");
  const ratio = (median(mains) / relayMain).toFixed(2);
  const all = kilo(median(counts.map((r) => r.all)));
  console.log(`| ${label} | ${kilo(median(mains))} (${each}) | ${ratio} | ${all} |`);
}
