// Process plumbing for the benchmark: free ports, a throw-away nats-server, child processes
// and /proc sampling (peak RSS, CPU time) of whatever process is being measured.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { natsServerBin } from "../nats-server-bin.mjs";
import { freePort } from "../free-port.mjs";

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes. */
export const wallNow = () => performance.timeOrigin + performance.now();

export { freePort };

export async function waitFor(check, { timeoutMs, what, everyMs = 100 }) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(everyMs);
  }
  throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms`);
}

const portOpen = (port) =>
  new Promise((resolve) => {
    const socket = tcpConnect(port, "127.0.0.1");
    socket.once("connect", () => resolve(socket.destroy() || true));
    socket.once("error", () => resolve(false));
  });

/**
 * A JetStream server with file storage in a temp folder; `dispose` removes it all. `logFile`
 * keeps its log (a slow consumer it disconnected, say).
 */
export async function startNats({ logFile } = {}) {
  const port = await freePort();
  const store = mkdtempSync(join(tmpdir(), "hookswitch-bench-nats-"));
  const bin = natsServerBin() ?? "nats-server";
  const log = logFile ? ["-l", logFile] : [];
  const proc = spawn(bin, ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", store, ...log], {
    stdio: "ignore",
  });
  await waitFor(() => portOpen(port), { timeoutMs: 10_000, what: "nats-server" });
  return {
    url: `nats://127.0.0.1:${port}`,
    pid: proc.pid,
    async dispose() {
      await stopChild(proc, "SIGINT", 5_000);
      rmSync(store, { recursive: true, force: true });
    },
  };
}

export function natsServerVersion() {
  try {
    return execFileSync(natsServerBin() ?? "nats-server", ["--version"], {
      encoding: "utf8",
    }).trim();
  } catch {
    return "unknown";
  }
}

/** Sends `signal`, then SIGKILL after `graceMs`; resolves with the exit code. */
export function stopChild(child, signal = "SIGTERM", graceMs = 25_000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    child.kill(signal);
  });
}

/** Spawns `node args…`, keeping the last 20 KB of its output for error messages. */
export function spawnNode(args, env = {}) {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (chunk) => (output = (output + chunk.toString()).slice(-20_000));
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, exited, output: () => output };
}

let clockTicks;
function ticksPerSecond() {
  try {
    clockTicks ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
  } catch {
    clockTicks = 100;
  }
  return clockTicks || 100;
}

/** A process's CPU time so far, user and system, in ms. */
export function readCpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the ")" that ends the command name; utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond();
}

function readPeakRssKb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const peak = /VmHWM:\s+(\d+)/.exec(status) ?? /VmRSS:\s+(\d+)/.exec(status);
  return peak ? Number(peak[1]) : 0;
}

/**
 * Samples a process's CPU time every `everyMs` so the CPU spent between two wall-clock
 * moments (first and last arrival) can be read afterwards, without its start-up.
 */
export function sampleProcess(pid, everyMs = 50) {
  const samples = [];
  let peakRssKb = 0;
  const take = () => {
    try {
      samples.push({ t: wallNow(), cpuMs: readCpuMs(pid) });
      peakRssKb = Math.max(peakRssKb, readPeakRssKb(pid));
    } catch {
      // The process has exited: keep what we have.
    }
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      take();
      clearInterval(timer);
    },
    peakRssMb: () => peakRssKb / 1024,
    /** CPU ms between the last sample at or before `from` and the first at or after `to`. */
    cpuMsBetween(from, to) {
      if (samples.length === 0) return NaN;
      const before = samples.findLast((s) => s.t <= from) ?? samples[0];
      const after = samples.find((s) => s.t >= to) ?? samples.at(-1);
      return after.cpuMs - before.cpuMs;
    },
  };
}
