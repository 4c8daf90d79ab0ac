// Loads 10,000 generated integration files with the built loader and prints the time
// and memory it took against the targets (< 2 s, < 150 MB RSS). Run after `npm run build`.
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { freePort } from "./free-port.mjs";
import { readCpuMs } from "./bench/support.mjs";
import { loadIntegrations } from "../dist/config/load/load.js";

const FILES = Number(process.env.BENCH_FILES ?? 10_000);
const TARGET_MS = 2_000;
const TARGET_RSS_MB = 150;
const TARGET_LIVE_MS = 1_000;

function integration(i) {
  return `# yaml-language-server: $schema=../schemas/integration.schema.json
apiVersion: hookswitch/v1
name: bench-${i}
description: Generated integration ${i}
scope:
  ${i % 2 === 0 ? "account: acme" : "service: 3f0c6f8e-6a0b-4a39-9b1e-0d6f1f3f4a11"}
trigger:
  serviceType: mycloudpbx
  events: [user.created, user.modified]
webhook:
  url: http://127.0.0.1:8787/hooks/${i}
  method: POST
  format: json
  pathArguments: ["{serviceUuid}", "ext-{extensionNumber}"]
  auth:
    type: token
    token: \${env:BENCH_TOKEN}
  headers:
    X-Source: myecn
  fields:
    ext: extensionNumber
    fullName: name
    source: { value: myecn }
    label: { template: "{name} ({extensionNumber})" }
  timeout: 10s
  retry: { maxAttempts: 12, initialDelay: 1s, maxDelay: 1h }
`;
}

const REPS = Number(process.env.BENCH_REPS ?? 3);
/** Files a `git pull` changes at once in the live measurement. */
const BURST = 200;

// A child run of this script: one cold load in a fresh process, printed as JSON.
if (process.argv[2] === "--load-once") {
  const rssBefore = process.memoryUsage().rss;
  const started = performance.now();
  const result = await loadIntegrations([process.argv[3]], {
    secrets: "resolve",
    env: { BENCH_TOKEN: "t0ken" },
  });
  const ms = performance.now() - started;
  console.log(
    JSON.stringify({
      ms,
      rssMb: process.memoryUsage().rss / 1024 / 1024,
      rssBeforeMb: rssBefore / 1024 / 1024,
      files: result.files.length,
      integrations: result.integrations.length,
      problems: result.problems.length,
      firstProblem: result.problems[0],
    }),
  );
  process.exit(0);
}

const dir = await mkdtemp(join(tmpdir(), "hookswitch-bench-"));
try {
  for (let start = 0; start < FILES; start += 500) {
    const sub = join(dir, `group-${start / 500}`);
    await mkdir(sub);
    const batch = [];
    for (let i = start; i < Math.min(start + 500, FILES); i++) {
      batch.push(writeFile(join(sub, `integration-${i}.yaml`), integration(i)));
    }
    await Promise.all(batch);
  }
  // Files at rest, as a daemon finds them: the kernel's write-back of 10,000 fresh files
  // would otherwise compete with the first load.
  execFileSync("sync");
  const runs = [];
  for (let rep = 0; rep < REPS; rep++) runs.push(await loadOnce(dir));
  const last = runs.at(-1);
  console.log(
    `files: ${last.files}, integrations: ${last.integrations}, problems: ${last.problems}`,
  );
  if (last.problems > 0) console.log("first problem:", last.firstProblem);
  const ms = spread(runs.map((r) => r.ms));
  const rss = spread(runs.map((r) => r.rssMb));
  console.log(
    `load time, ${REPS} cold runs: median ${ms.median.toFixed(0)} ms (${ms.min.toFixed(0)}–${ms.max.toFixed(0)}; target < ${TARGET_MS} ms, ratio ${(ms.median / TARGET_MS).toFixed(2)})`,
  );
  console.log(
    `RSS after load: median ${rss.median.toFixed(0)} MB (${rss.min.toFixed(0)}–${rss.max.toFixed(0)}; before: ${last.rssBeforeMb.toFixed(0)} MB; target < ${TARGET_RSS_MB} MB, ratio ${(rss.median / TARGET_RSS_MB).toFixed(2)})`,
  );
  await measureLiveChange(dir);
} finally {
  await rm(dir, { recursive: true, force: true });
}

/** One load in a fresh process, as the daemon and `validate` do it at start. */
function loadOnce(folder) {
  return new Promise((resolve, reject) => {
    const script = new URL(import.meta.url).pathname;
    const child = spawn(process.execPath, [script, "--load-once", folder], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (chunk) => (out += chunk));
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load run exited with ${code}`)),
    );
  });
}

function spread(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted.at(-1) };
}

/**
 * The real daemon on the same folder (NATS is not needed for the configuration: it points
 * at a closed port), then one file changed, then BURST files at once (a `git pull`): time
 * until the daemon logs the new generation, and its CPU for the burst. The log line is
 * read as it comes: polling /metrics instead, whose answer at 10,000 integrations costs the
 * daemon about 70 ms of its event loop, slowed the scans it was timing to twice as long.
 */
async function measureLiveChange(dir) {
  const port = await freePort();
  const cli = new URL("../dist/cli.js", import.meta.url).pathname;
  const daemon = spawn(
    process.execPath,
    [cli, "run", "--dir", dir, "--http-addr", `127.0.0.1:${port}`, "--nats", "nats://127.0.0.1:1"],
    {
      stdio: ["ignore", "ignore", "pipe"], // the log goes to stderr
      env: { ...process.env, BENCH_TOKEN: "t0ken", LOG_LEVEL: "info" },
    },
  );
  const generations = generationsLogged(daemon.stderr);
  try {
    const startedAt = performance.now();
    const first = await generations.next(0, 60_000);
    const startMs = performance.now() - startedAt;
    const changedAt = performance.now();
    await writeFile(
      join(dir, "group-0", "integration-7.yaml"),
      integration(7).replace("Generated", "Changed"),
    );
    const second = await generations.next(first, 10_000);
    const liveMs = performance.now() - changedAt;
    const rss =
      Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${daemon.pid}/status`, "utf8"))?.[1]) / 1024;
    console.log(
      `daemon: first generation served after ${startMs.toFixed(0)} ms, RSS ${rss.toFixed(0)} MB`,
    );
    console.log(
      `one file changed under the running daemon: live after ${liveMs.toFixed(0)} ms (target < ${TARGET_LIVE_MS} ms, ratio ${(liveMs / TARGET_LIVE_MS).toFixed(2)})`,
    );
    const cpuBefore = readCpuMs(daemon.pid);
    const burstAt = performance.now();
    const burst = Math.min(BURST, FILES);
    await Promise.all(
      Array.from({ length: burst }, (_, i) =>
        writeFile(
          join(dir, `group-${Math.floor(i / 500)}`, `integration-${i}.yaml`),
          integration(i).replace("Generated", "Burst"),
        ),
      ),
    );
    await generations.next(second, 20_000);
    const burstMs = performance.now() - burstAt;
    console.log(
      `${burst} files changed at once under the running daemon: live after ${burstMs.toFixed(0)} ms, ${(readCpuMs(daemon.pid) - cpuBefore).toFixed(0)} ms of its CPU (target < ${TARGET_LIVE_MS} ms, ratio ${(burstMs / TARGET_LIVE_MS).toFixed(2)})`,
    );
  } finally {
    daemon.kill("SIGKILL");
  }
}

/**
 * The config generations a daemon logs, as its lines arrive: `next(after, timeoutMs)`
 * resolves with the first generation above `after`.
 */
function generationsLogged(log) {
  let latest = 0;
  let waiter;
  let text = "";
  log.setEncoding("utf8").on("data", (chunk) => {
    text += chunk;
    const lines = text.split("\n");
    text = lines.pop();
    for (const line of lines) {
      const generation = Number(/config generation (\d+)/.exec(line)?.[1] ?? NaN);
      if (generation > latest) latest = generation;
    }
    waiter?.();
  });
  return {
    next(after, timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error("timed out waiting for the daemon")),
          timeoutMs,
        );
        waiter = () => {
          if (latest <= after) return;
          clearTimeout(timer);
          waiter = undefined;
          resolve(latest);
        };
        waiter();
      });
    },
  };
}
