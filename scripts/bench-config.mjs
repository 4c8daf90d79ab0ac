// Loads 10,000 generated integration files with the built loader and prints the time
// and memory it took against the targets (< 2 s, < 150 MB RSS). Run after `npm run build`.
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { loadIntegrations } from "../dist/config/load.js";

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
  const rssBefore = process.memoryUsage().rss;
  const started = performance.now();
  const result = await loadIntegrations([dir], {
    secrets: "resolve",
    env: { BENCH_TOKEN: "t0ken" },
  });
  const elapsed = performance.now() - started;
  const rssMb = process.memoryUsage().rss / 1024 / 1024;
  console.log(
    `files: ${result.files.length}, integrations: ${result.integrations.length}, problems: ${result.problems.length}`,
  );
  console.log(
    `load time: ${elapsed.toFixed(0)} ms (target < ${TARGET_MS} ms, ratio ${(elapsed / TARGET_MS).toFixed(2)})`,
  );
  console.log(
    `RSS after load: ${rssMb.toFixed(0)} MB (before: ${(rssBefore / 1024 / 1024).toFixed(0)} MB; target < ${TARGET_RSS_MB} MB, ratio ${(rssMb / TARGET_RSS_MB).toFixed(2)})`,
  );
  if (result.problems.length > 0) console.log("first problem:", result.problems[0]);
  await measureLiveChange(dir);
} finally {
  await rm(dir, { recursive: true, force: true });
}

/**
 * The real daemon on the same folder (NATS is not needed for the configuration: it points
 * at a closed port), then one file changed: time until /metrics shows the new generation.
 */
async function measureLiveChange(dir) {
  const port = await freePort();
  const cli = new URL("../dist/cli.js", import.meta.url).pathname;
  const daemon = spawn(
    process.execPath,
    [cli, "run", "--dir", dir, "--http-addr", `127.0.0.1:${port}`, "--nats", "nats://127.0.0.1:1"],
    { stdio: "ignore", env: { ...process.env, BENCH_TOKEN: "t0ken", LOG_LEVEL: "warn" } },
  );
  const generation = async () => {
    try {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      return Number(/^hookswitch_config_generation (\d+)/m.exec(text)?.[1] ?? NaN);
    } catch {
      return NaN;
    }
  };
  try {
    const startedAt = performance.now();
    const first = await poll(generation, (g) => g >= 1, 60_000);
    const startMs = performance.now() - startedAt;
    const changedAt = performance.now();
    await writeFile(
      join(dir, "group-0", "integration-7.yaml"),
      integration(7).replace("Generated", "Changed"),
    );
    await poll(generation, (g) => g > first, 10_000);
    const liveMs = performance.now() - changedAt;
    const rss =
      Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${daemon.pid}/status`, "utf8"))?.[1]) / 1024;
    console.log(
      `daemon: first generation served after ${startMs.toFixed(0)} ms, RSS ${rss.toFixed(0)} MB`,
    );
    console.log(
      `one file changed under the running daemon: live after ${liveMs.toFixed(0)} ms (target < ${TARGET_LIVE_MS} ms, ratio ${(liveMs / TARGET_LIVE_MS).toFixed(2)})`,
    );
  } finally {
    daemon.kill("SIGKILL");
  }
}

async function poll(read, done, timeoutMs) {
  const until = performance.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (performance.now() > until) throw new Error("timed out waiting for the daemon");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
