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
// start-up and the ramp) is put down to the first of PARTS that its stack shows, and the
// shares are printed; multiply by the run's CPU µs per event to read them as time.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/**
 * The parts, in the order a sample is tested against them: the first that matches takes
 * it. A compiled function inlines what it calls, so rendering and signing are one part.
 */
export const PARTS = [
  {
    part: "the collector",
    test: (stack) => stack.some((f) => /Heap::|Scavenge|MarkCompact|Sweeper|Marking/.test(f.sym)),
  },
  {
    part: "the kernel: socket reads and writes, polling",
    test: (stack) => stack[0].dso.includes("kernel"),
  },
  {
    part: "rendering the body and headers, signing, the webhook-id",
    test: (stack) =>
      stack.some((f) =>
        /dist\/delivery\/(render|fields|iso-time|sign|webhook-id)\.js|crypto\/hash|JsonStringif|webhookBody|webhookHeaders/.test(
          f.sym,
        ),
      ),
  },
  {
    // The schema's validator is often inlined into the handler that calls it.
    part: "parsing and validating the event: UTF-8, JSON.parse, the schema",
    test: (stack) =>
      stack
        .slice(0, 12)
        .some((f) => /JsonPars|dist\/events\/parse\.js|DecodeUTF8|validate_utf8/.test(f.sym)) ||
      stack.some((f) =>
        /JS:\S*validate\d+ |dist\/events\/date-time\.js|RegExp:\^\(\?:urn/.test(f.sym),
      ),
  },
  {
    part: "the HTTP client: undici and Node.js's streams",
    test: (stack) => stack.some((f) => /undici|streams\/|stream_base|node:net|wasm/.test(f.sym)),
  },
  { part: "the NATS client", test: (stack) => stack.some((f) => f.sym.includes("@nats-io")) },
  {
    part: "the delivery: its loop, handlers, limits, promises and timers",
    test: (stack) =>
      stack.some((f) => /dist\/|ceilings\.mjs|timers|task_queues|process\/promises/.test(f.sym)),
  },
];
const OTHER = "other native code (allocation, the C library)";

/** The part a sample's stack (leaf first) belongs to. */
export function partOf(stack) {
  if (stack.length === 0) return OTHER;
  return PARTS.find(({ test }) => test(stack))?.part ?? OTHER;
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

/** Shares of each part over the second half (in time) of each main thread's samples. */
export function partShares(samples) {
  const byThread = new Map();
  for (const sample of samples) {
    if (sample.pid !== sample.tid) continue;
    const list = byThread.get(sample.pid) ?? [];
    list.push(sample);
    byThread.set(sample.pid, list);
  }
  const threads = [];
  for (const [pid, list] of byThread) {
    const system = systemOf(list);
    if (!system) continue;
    const start = list[0].time;
    const middle = start + (list.at(-1).time - start) / 2;
    const steady = list.filter((s) => s.time >= middle);
    const counts = new Map();
    for (const { stack } of steady) {
      const part = partOf(stack);
      counts.set(part, (counts.get(part) ?? 0) + 1);
    }
    const shares = [...PARTS.map(({ part }) => part), OTHER].map((part) => ({
      part,
      share: (counts.get(part) ?? 0) / steady.length,
    }));
    threads.push({ pid, system, samples: steady.length, shares });
  }
  return threads;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [data] = process.argv.slice(2);
  if (!data) throw new Error("usage: node scripts/bench/parts.mjs <perf.data>");
  const text = execFileSync("perf", ["script", "-i", data, "-F", "pid,tid,time,ip,sym,dso"], {
    encoding: "utf8",
    maxBuffer: 1 << 30,
    stdio: ["ignore", "pipe", "ignore"],
  });
  for (const { pid, system, samples, shares } of partShares(parseSamples(text))) {
    console.log(`${system} (pid ${pid}), ${samples} samples of its drain:`);
    for (const { part, share } of shares) {
      console.log(`  ${(share * 100).toFixed(1).padStart(5)}%  ${part}`);
    }
  }
}
