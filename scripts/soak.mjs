#!/usr/bin/env node
/**
 * Soak: `node scripts/soak.mjs --minutes N` (default 5). Steady load against a receiver that
 * flaps (up / 503 every ~20 s); prints the daemon's RSS, its heap (used, total, old space) and
 * external memory from its /metrics, and its open handles every ~15 s, then a verdict: did
 * memory stay flat (first vs last quartile median), was anything lost, and did the daemon
 * say of any retry that NATS would not hand it out (none should be). With SOAK_OUT set to
 * a folder, the samples go there too (samples.jsonl), with the daemon's `--trace-gc` log, whose
 * heap after each full collection tells a heap that grew to its working size from a leak.
 * Starts its own nats-server, receiver and daemon, and stops them (by PID) at the end.
 */
import { spawn } from "node:child_process";
import {
  appendFileSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:http";
import { freePort } from "./free-port.mjs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { connect } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { webhookId } from "../dist/delivery/webhook-id.js";
import { natsServerBin } from "./nats-server-bin.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const MINUTES = arg("minutes", 5);
const RATE = arg("rate", 50); // events per second
const SAMPLE_MS = 15_000;
const FLAP_MS = 20_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rssMb = (pid) => {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]) / 1024;
  } catch {
    return NaN;
  }
};
const fds = (pid) => {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return NaN;
  }
};
// Memory figures from the daemon's own /metrics (prom-client default metrics, hookswitch_ prefix).
const OUT = process.env.SOAK_OUT; // optional folder: samples.jsonl and the daemon's --trace-gc log
const MB = 1024 * 1024;
const heapFigures = async (port) => {
  try {
    const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
    const get = (re) => {
      const m = re.exec(text);
      return m ? Number(m[1]) / MB : NaN;
    };
    return {
      heapUsed: get(/^hookswitch_nodejs_heap_size_used_bytes(?:\{[^}]*\})? (\S+)/m),
      heapTotal: get(/^hookswitch_nodejs_heap_size_total_bytes(?:\{[^}]*\})? (\S+)/m),
      external: get(/^hookswitch_nodejs_external_memory_bytes(?:\{[^}]*\})? (\S+)/m),
      oldUsed: get(/^hookswitch_nodejs_heap_space_size_used_bytes\{[^}]*space="old"[^}]*\} (\S+)/m),
      metricsRss: get(/^hookswitch_process_resident_memory_bytes(?:\{[^}]*\})? (\S+)/m),
    };
  } catch {
    return { heapUsed: NaN, heapTotal: NaN, external: NaN, oldUsed: NaN, metricsRss: NaN };
  }
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

const root = mkdtempSync(join(tmpdir(), "hookswitch-soak-"));
// The daemon's log (warnings and errors; with SOAK_OUT, its --trace-gc lines too).
const daemonLog = join(OUT ?? root, OUT ? "daemon-gc.log" : "daemon.log");
const children = [];
const stopAll = async () => {
  for (const child of children.reverse()) {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid, "SIGTERM");
      const timer = setTimeout(() => process.kill(child.pid, "SIGKILL"), 25_000);
      await new Promise((r) => child.once("exit", r));
      clearTimeout(timer);
    }
  }
  rmSync(root, { recursive: true, force: true });
};

async function main() {
  const natsPort = await freePort();
  const natsUrl = `nats://127.0.0.1:${natsPort}`;
  children.push(
    spawn(
      natsServerBin() ?? "nats-server",
      ["-a", "127.0.0.1", "-p", `${natsPort}`, "-js", "-sd", join(root, "nats")],
      { stdio: "ignore" },
    ),
  );
  await sleep(1_000);

  const arrivals = new Map();
  let up = true;
  const receiver = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      if (!up) return res.writeHead(503).end();
      const id = String(req.headers["webhook-id"]);
      arrivals.set(id, (arrivals.get(id) ?? 0) + 1);
      res.end("ok");
    });
  });
  await new Promise((r) => receiver.listen(0, "127.0.0.1", r));
  const flap = setInterval(() => (up = !up), FLAP_MS);

  const dir = join(root, "integrations.d");
  rmSync(dir, { recursive: true, force: true });
  await import("node:fs").then((fs) => fs.mkdirSync(dir));
  const url = `http://127.0.0.1:${receiver.address().port}/soak`;
  writeFileSync(
    join(dir, "soak.yaml"),
    JSON.stringify({
      apiVersion: "hookswitch/v1",
      name: "soak",
      scope: { account: "acme" },
      trigger: { serviceType: "mycloudpbx", events: ["user.created"] },
      webhook: { url, retry: { maxAttempts: 30, initialDelay: "1s", maxDelay: "5s" } },
    }),
  );
  const httpPort = await freePort();
  const daemon = spawn(
    process.execPath,
    [
      ...(OUT ? ["--trace-gc"] : []),
      "dist/cli.js",
      "run",
      "--dir",
      dir,
      "--nats",
      natsUrl,
      "--http-addr",
      `127.0.0.1:${httpPort}`,
    ],
    {
      stdio: ["ignore", openSync(daemonLog, "w"), "ignore"],
      env: { ...process.env, LOG_LEVEL: "warn" },
    },
  );
  children.push(daemon);
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`http://127.0.0.1:${httpPort}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await sleep(200);
  }

  const nc = await connect({ servers: natsUrl });
  const js = jetstream(nc);
  const expected = new Set();
  const started = Date.now();
  const until = started + MINUTES * 60_000;
  const samples = [];
  let nextSample = started;
  console.log(
    `soak: ${MINUTES} min at ${RATE} events/s, receiver flapping every ${FLAP_MS / 1000} s`,
  );
  console.log(
    "  t(s) | rss(MiB) | heapUsed | heapTotal | oldUsed | external | fds | published | delivered",
  );
  while (Date.now() < until) {
    const batch = Array.from({ length: Math.max(1, Math.round(RATE / 10)) }, () => {
      const id = randomUUID();
      const event = {
        specversion: "1.0",
        id,
        source: "/accounts/acme/services/s",
        type: "user.created",
        time: new Date().toISOString(),
        datacontenttype: "application/json",
        data: {
          account: "acme",
          service: {
            type: "mycloudpbx",
            uuid: "3f0c6f8e-6a0b-4a39-9b1e-0d6f1f3f4a11",
            name: "pbx",
            friendlyName: "pbx",
          },
          user: {
            extension: "201",
            name: "Soak",
            outboundNumber: "+61290000000",
            hasVoicemail: true,
            enabledCalls: ["Local"],
          },
        },
      };
      return js
        .publish("pbx.acme.mycloudpbx.s.user.created", JSON.stringify(event), { msgID: id })
        .then(
          () => expected.add(webhookId("soak", id)),
          () => undefined,
        );
    });
    await Promise.all(batch);
    if (Date.now() >= nextSample) {
      const sample = {
        t: Math.round((Date.now() - started) / 1000),
        rss: rssMb(daemon.pid),
        fds: fds(daemon.pid),
        ...(await heapFigures(httpPort)),
        published: expected.size,
        delivered: arrivals.size,
      };
      samples.push(sample);
      if (OUT) appendFileSync(join(OUT, "samples.jsonl"), JSON.stringify(sample) + "\n");
      const f = (x, w) => x.toFixed(1).padStart(w);
      console.log(
        `${String(sample.t).padStart(6)} | ${sample.rss.toFixed(0).padStart(8)} | ${f(sample.heapUsed, 8)} | ${f(sample.heapTotal, 9)} | ${f(sample.oldUsed, 7)} | ${f(sample.external, 8)} | ${String(sample.fds).padStart(3)} | ${String(expected.size).padStart(9)} | ${String(arrivals.size).padStart(9)}`,
      );
      nextSample += SAMPLE_MS;
    }
    await sleep(100);
  }
  await nc.close();
  clearInterval(flap);
  up = true;
  const drainUntil = Date.now() + 60_000;
  while (Date.now() < drainUntil && [...expected].some((id) => !arrivals.has(id))) await sleep(500);
  const lost = [...expected].filter((id) => !arrivals.has(id)).length;
  const duplicates = [...arrivals.values()].reduce((n, c) => n + c - 1, 0);
  // The first 30 s are warm-up (JIT, pools, buffers) and say nothing about a leak.
  const steady =
    samples.filter((s) => s.t >= 30).length >= 4 ? samples.filter((s) => s.t >= 30) : samples;
  const quarter = Math.max(1, Math.floor(steady.length / 4));
  const first = median(steady.slice(0, quarter).map((s) => s.rss));
  const last = median(steady.slice(-quarter).map((s) => s.rss));
  const flat = last <= first * 1.25 + 10;
  console.log(
    `memory: first-quartile median ${first.toFixed(0)} MiB, last-quartile median ${last.toFixed(0)} MiB -> ${flat ? "flat" : "GROWING"}`,
  );
  console.log(
    `ledger: published=${expected.size} delivered=${expected.size - lost} duplicates=${duplicates} lost=${lost}`,
  );
  // A count of retries the delivery consumer passes by (nats/passed-by.ts) that is not a
  // nats-server fault: the flapping receiver's retries come and go all the time.
  const passedBy = readFileSync(daemonLog, "utf8")
    .split("\n")
    .filter((line) => line.includes("will not hand out")).length;
  console.log(`retries told passed by: ${passedBy}`);
  const pass = flat && lost === 0 && passedBy === 0;
  console.log(`verdict: ${pass ? "PASS" : "FAIL"}`);
  await new Promise((r) => receiver.close(r));
  receiver.closeAllConnections?.();
  return pass;
}

let ok = false;
try {
  ok = await main();
} finally {
  await stopAll();
}
process.exitCode = ok ? 0 : 1;
