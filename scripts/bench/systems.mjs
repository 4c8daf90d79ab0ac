// The systems under test, each started as its own process, and the one way every run is
// measured: unique arrivals at the receiver from first to last, with the process's CPU time
// over that window and its peak RSS.
import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { freePort, sampleProcess, sleep, spawnNode, stopChild, waitFor } from "./support.mjs";

const here = (file) => fileURLToPath(new URL(file, import.meta.url));
export const CLI = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));

/** Forks the receiver and talks to it over IPC. */
export async function startReceiver() {
  const child = fork(here("./receiver.mjs"), [], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const next = (type) =>
    new Promise((resolve) => {
      const onMessage = (message) => {
        if (message?.type !== type) return;
        child.off("message", onMessage);
        resolve(message);
      };
      child.on("message", onMessage);
    });
  const { port } = await next("ready");
  return {
    pid: child.pid,
    url: `http://127.0.0.1:${port}`,
    async reset(options = {}) {
      const done = next("reset-done");
      child.send({ type: "reset", ...options });
      await done;
    },
    async stats() {
      const reply = next("stats");
      child.send({ type: "stats" });
      return reply;
    },
    close: () => stopChild(child, "SIGTERM", 5_000),
  };
}

// ---- integration folders --------------------------------------------------------------

/**
 * Every integration of the benchmark signs its deliveries (the full path), with this
 * run's secret; the receiver checks the signature of each delivery whose body it samples.
 * The files reference it, as a deployment's would (one written in clear gets a warning
 * logged per file), and every process this one starts inherits the variable.
 */
export const SIGNING_SECRET = `whsec_${randomBytes(32).toString("base64")}`;
const SECRET_VARIABLE = "HOOKSWITCH_BENCH_SIGNING_SECRET";
process.env[SECRET_VARIABLE] = SIGNING_SECRET;

export function integrationDoc({ name, group = name, account = "acme", maxInFlight, url }) {
  const webhook = {
    url: `${url}/${group}`,
    retry: { maxAttempts: 3, initialDelay: "100ms" },
    signing: { secret: `\${env:${SECRET_VARIABLE}}` },
  };
  if (maxInFlight !== undefined) webhook.maxInFlight = maxInFlight;
  return {
    apiVersion: "hookswitch/v1",
    name,
    scope: { account },
    trigger: { serviceType: "mycloudpbx", events: ["user.created"] },
    webhook,
  };
}

/** Writes one file per integration (JSON is YAML), 500 files per sub-folder. */
export function writeIntegrations(dir, docs) {
  docs.forEach((doc, i) => {
    const sub = join(dir, `group-${Math.floor(i / 500)}`);
    if (i % 500 === 0) mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `${doc.name}.yaml`), JSON.stringify(doc, null, 2));
  });
}

// ---- processes ------------------------------------------------------------------------

/** The arguments of `hookswitch run` for one benchmark run, after `node`. */
export function hookswitchRunArgs({
  cli = CLI,
  natsUrl,
  stream,
  subjects,
  consumer,
  dir,
  deliver,
  port,
  args = [],
}) {
  return [
    cli,
    "run",
    ...["--dir", dir, "--nats", natsUrl, "--http-addr", `127.0.0.1:${port}`],
    ...["--stream", stream, "--subjects", subjects, "--consumer", consumer],
    ...["--deliver", deliver, "--grace-period", "2s", "--log-level", "warn"],
    ...args,
  ];
}

/** `hookswitch run` through its CLI; `profileDir` adds a CPU profile written at exit. */
export async function startHookswitch({
  natsUrl,
  stream,
  prefix,
  consumer,
  dir,
  deliver,
  args = [],
  profileDir,
}) {
  const port = await freePort();
  const node = profileDir ? ["--cpu-prof", "--cpu-prof-dir", profileDir] : [];
  node.push(...(process.env.BENCH_HOOKSWITCH_NODE_FLAGS ?? "").split(" ").filter(Boolean));
  const subjects = `${prefix}.>`;
  const run = hookswitchRunArgs({ natsUrl, stream, subjects, consumer, dir, deliver, port, args });
  const proc = spawnNode([...node, ...run]);
  return {
    ...proc,
    pid: proc.child.pid,
    async ready(timeoutMs = 60_000) {
      await waitFor(
        async () => {
          if (proc.child.exitCode !== null) throw new Error(`hookswitch exited:\n${proc.output()}`);
          return fetch(`http://127.0.0.1:${port}/readyz`).then(
            (r) => r.ok,
            () => false,
          );
        },
        { timeoutMs, what: "hookswitch readiness" },
      );
    },
    stop: () => stopChild(proc.child, "SIGTERM", 25_000),
  };
}

export function startBaseline({ natsUrl, stream, consumer, url, deliver }) {
  const proc = spawnNode([here("./baseline.mjs"), natsUrl, stream, consumer, url, deliver]);
  return { ...proc, pid: proc.child.pid, stop: () => stopChild(proc.child, "SIGTERM", 5_000) };
}

/** The ceilings and lean relays (`ceilings.mjs MODE ...`). */
export const CEILINGS = here("./ceilings.mjs");

export function startCeiling(args) {
  const proc = spawnNode([CEILINGS, ...args]);
  return { ...proc, pid: proc.child.pid, stop: () => stopChild(proc.child, "SIGTERM", 5_000) };
}

// ---- measuring ------------------------------------------------------------------------

function summarise(groups, names) {
  const picked = names.map((name) => groups[name]).filter(Boolean);
  if (picked.length === 0) return { count: 0, first: NaN, last: NaN };
  return {
    count: picked.reduce((sum, g) => sum + g.unique, 0),
    first: Math.min(...picked.map((g) => g.first)),
    last: Math.max(...picked.map((g) => g.last)),
  };
}

/**
 * Waits until `expected` unique deliveries to `groups` arrived, the process died, nothing
 * arrived for `stallMs`, or `timeoutMs` passed; then measures the window.
 */
export async function measureArrivals({
  receiver,
  proc,
  groups,
  expected,
  timeoutMs,
  stallMs = 30_000,
  neighbours = [],
}) {
  // Several processes (replicas) are measured together.
  const samplers = (proc.pids ?? [proc.pid]).map((pid) => sampleProcess(pid));
  // What nats-server and the receiver spend meanwhile: the rest of the machine's budget.
  const others = neighbours.map((pid) => sampleProcess(pid));
  const children = proc.children ?? [proc.child];
  expected = await expected; // a number, or a publisher that says how many it sent
  const deadline = Date.now() + timeoutMs;
  let seen = -1;
  let progressAt = Date.now();
  let stats;
  for (let exited = false; ;) {
    await sleep(100);
    stats = await receiver.stats();
    const { count } = summarise(stats.groups, groups);
    if (count >= expected || exited) break;
    if (count !== seen) [seen, progressAt] = [count, Date.now()];
    if (Date.now() > deadline || Date.now() - progressAt > stallMs) break;
    // One more look after the process exits: its last requests may still be arriving.
    exited = children.every((c) => c.exitCode !== null || c.signalCode !== null);
  }
  for (const sampler of [...samplers, ...others]) sampler.stop();
  const window = summarise(stats.groups, groups);
  const seconds = (window.last - window.first) / 1000;
  const cpuMsOf = (list) =>
    list.reduce((sum, s) => sum + s.cpuMsBetween(window.first, window.last), 0);
  const cpuMs = cpuMsOf(samplers);
  return {
    count: window.count,
    // Every delivery arrived, and every sampled body (and signature) was right.
    complete: window.count >= expected && stats.badBodies === 0,
    rate: window.count > 1 && seconds > 0 ? (window.count - 1) / seconds : NaN,
    cpuPer1k: window.count > 0 ? (cpuMs / window.count) * 1000 : NaN,
    neighboursCpuPer1k:
      window.count > 0 && others.length > 0 ? (cpuMsOf(others) / window.count) * 1000 : NaN,
    rssMb: samplers.reduce((sum, s) => sum + s.peakRssMb(), 0),
    duplicates: stats.duplicates,
    badBodies: stats.badBodies,
    checkedBodies: stats.checkedBodies,
    latency: stats.latency,
    groups: stats.groups,
  };
}
