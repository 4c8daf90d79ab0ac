// Where a drain's real time goes, part by part, from a system-wide sampling profile
// (Linux `perf`, which counts time on the real processor, SHA extensions and all):
//
//   NODE_OPTIONS=--perf-basic-prof perf record -e cpu-clock -F 1999 -g -a -o drain.data -- \
//     node scripts/bench/run.mjs --quick --events 30000 --only a --no-profile --no-doc
//   node scripts/bench/parts.mjs drain.data
//
// `--perf-basic-prof` makes every Node.js process write the names of its compiled
// JavaScript where `perf` looks for them. For each main thread of hookswitch and of the
// lean relay in the profile, the second half of its samples (the drain at speed, past
// start-up and the ramp) is put down to a part, and the shares are printed, with the main
// thread's share of its process's samples over the same time: a part's time per event is
// its share × the main thread's share × the run's CPU per event (which counts every
// thread of the process).
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const COLLECTOR = "the collector";
const KERNEL = "the kernel: socket reads and writes, polling";
const OTHER = "other native code (allocation, the C library)";

/**
 * The parts that code belongs to, each by the frames that name it. A sample goes to the
 * part of the frame nearest its leaf that names one (native frames such as a socket
 * write or `JSON.stringify` name none, and take the part of the code that called them),
 * except that parsing the event counts wherever it is called from: the relay parses
 * inside the NATS client. A compiled function inlines what it calls, so rendering and
 * signing are one part, and the schema's validator, inlined into the handler, is often
 * counted with the delivery.
 */
export const OWNERS = [
  {
    part: "parsing and validating the event: UTF-8, JSON.parse, the schema",
    frames:
      /JsonPars|DecodeUTF8|validate_utf8|dist\/events\/(parse|date-time)\.js|JS:\S*validate\d+ |RegExp:\^\(\?:urn/,
  },
  {
    part: "rendering the body and headers, signing, the webhook-id",
    frames:
      /dist\/delivery\/(render|fields|iso-time|sign|webhook-id)\.js|crypto\/hash|scripts\/bench\/events\.mjs/,
  },
  { part: "the HTTP client: undici and Node.js's streams", frames: /undici/ },
  { part: "the NATS client", frames: /@nats-io/ },
  {
    part: "the delivery: its loop, handlers, limits, promises and timers",
    frames: /dist\/|ceilings\.mjs|node:internal\/timers|node:timers|task_queues|process\/promises/,
  },
];
/** Every part, in the order they are printed. */
export const PARTS = [COLLECTOR, KERNEL, ...OWNERS.map(({ part }) => part), OTHER];

const GARBAGE_COLLECTION = /Heap::|Scavenge|MarkCompact|Sweeper|Marking/;
const [PARSING, RENDERING, , NATS] = OWNERS;

/** The part a sample's stack (leaf first) belongs to. */
export function partOf(stack) {
  if (stack.some((f) => GARBAGE_COLLECTION.test(f.sym))) return COLLECTOR;
  if (stack[0]?.dso.includes("kernel")) return KERNEL;
  if (stack.some((f) => PARSING.frames.test(f.sym))) return PARSING.part;
  let owner;
  for (const { sym } of stack) {
    owner = OWNERS.find(({ frames }) => frames.test(sym));
    if (owner) break;
  }
  // The relay's body is one JSON.stringify, inlined into its loop; the NATS client's own
  // (its pull requests) stay with it.
  const stringify = stack.some((f) => f.sym.includes("JsonStringif"));
  if (stringify && owner !== NATS) return RENDERING.part;
  return owner?.part ?? OTHER;
}

/**
 * The samples of `perf script -F pid,tid,time,ip,sym,dso`: each a header line
 * `pid/tid time:` and then its stack, one frame a line, leaf first.
 */
export function parseSamples(text) {
  const samples = [];
  let current;
  for (const line of text.split("\n")) {
    const header = /^\s*(\d+)\/(\d+)\s+([\d.]+):/.exec(line);
    if (header) {
      current = { pid: +header[1], tid: +header[2], time: +header[3], stack: [] };
      samples.push(current);
      continue;
    }
    const frame = /^\s+[0-9a-f]+ (.*) \(([^()]*)\)$/.exec(line);
    if (frame && current) current.stack.push({ sym: frame[1], dso: frame[2] });
  }
  return samples;
}

/** What a process's main thread is, from the code its samples ran; undefined for others. */
export function systemOf(samples) {
  const ran = (pattern) => samples.some((s) => s.stack.some((f) => pattern.test(f.sym)));
  if (ran(/dist\/delivery\/dispatcher\.js/)) return "hookswitch";
  if (ran(/drainRelay/)) return "lean relay";
  return undefined;
}

/**
 * Shares of each part over the second half (in time) of each main thread's samples, and
 * the main thread's share of all its process's samples over that time.
 */
export function partShares(samples) {
  const byProcess = new Map();
  for (const sample of samples) {
    const list = byProcess.get(sample.pid) ?? [];
    list.push(sample);
    byProcess.set(sample.pid, list);
  }
  const threads = [];
  for (const [pid, all] of byProcess) {
    const main = all.filter((s) => s.tid === pid);
    const system = systemOf(main);
    if (!system) continue;
    const start = main[0].time;
    const middle = start + (main.at(-1).time - start) / 2;
    const steady = main.filter((s) => s.time >= middle);
    const counts = new Map();
    for (const { stack } of steady) {
      const part = partOf(stack);
      counts.set(part, (counts.get(part) ?? 0) + 1);
    }
    const shares = PARTS.map((part) => ({ part, share: (counts.get(part) ?? 0) / steady.length }));
    const sameTime = all.filter((s) => s.time >= middle && s.time <= main.at(-1).time);
    threads.push({
      pid,
      system,
      samples: steady.length,
      mainShare: steady.length / sameTime.length,
      shares,
    });
  }
  return threads;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [data] = process.argv.slice(2);
  if (!data) throw new Error("usage: node scripts/bench/parts.mjs <perf.data>");
  const text = execFileSync("perf", ["script", "-i", data, "-F", "pid,tid,time,ip,sym,dso"], {
    encoding: "utf8",
    maxBuffer: 1 << 30,
    stdio: ["ignore", "pipe", "inherit"],
  });
  for (const { pid, system, samples, mainShare, shares } of partShares(parseSamples(text))) {
    const main = `${(mainShare * 100).toFixed(0)}% of its process's samples`;
    console.log(`${system} (pid ${pid}): its main thread's drain, ${samples} samples, ${main}`);
    for (const { part, share } of shares) {
      console.log(`  ${(share * 100).toFixed(1).padStart(5)}%  ${part}`);
    }
  }
}
