import { describe, expect, it } from "vitest";

/** The parts of `scripts/bench/parts.mjs` under test (a script: no type declarations). */
interface Frame {
  sym: string;
  dso: string;
}
interface Sample {
  pid: number;
  tid: number;
  time: number;
  stack: Frame[];
}
interface Parts {
  partOf: (stack: Frame[]) => string;
  parseSamples: (text: string) => Sample[];
  partShares: (samples: Sample[]) => {
    pid: number;
    system: string;
    samples: number;
    mainShare: number;
    shares: { part: string; share: number }[];
  }[];
}
const PARTS = "../../scripts/bench/parts.mjs";
const { partOf, parseSamples, partShares } = (await import(PARTS)) as Parts;

const js = (name: string): Frame => ({ sym: `JS:*${name}`, dso: "/tmp/perf-1.map" });
const native = (sym: string, dso = "/usr/bin/node"): Frame => ({ sym, dso });
const kernel = (sym: string): Frame => ({ sym, dso: "[kernel.kallsyms]" });

const DISPATCHER = js("attempt file:///app/dist/delivery/dispatcher.js:26:18");
const RENDER = js(" file:///app/dist/delivery/render.js:82:12");
const HANDLER = js("handleEventMessage file:///app/dist/delivery/event-handler.js:18:41");
const UNDICI = js("writeH1 /app/node_modules/undici/lib/dispatcher/client-h1.js:1144:18");
const NATS = js("parse /app/node_modules/@nats-io/nats-core/lib/parser.js:84:10");

const STREAM_WRITE = js("writeOrBuffer node:internal/streams/writable:548:23");
const RELAY = js("drainRelay file:///app/scripts/bench/ceilings.mjs:136:26");
const NATS_WRITE = js(
  "flush /app/node_modules/@nats-io/transport-node/lib/node_transport.js:270:3",
);
const STRINGIFY = native("v8::internal::JsonStringifier::SerializeString");
const PARSE_JSON = native("v8::internal::JsonParser<unsigned char>::ScanJsonString");

describe("partOf: the part a sample belongs to", () => {
  it.each([
    [
      "a scavenge under the handler",
      [native("v8::internal::ScavengerCollector::CollectGarbage"), HANDLER],
      "the collector",
    ],
    [
      "a socket write in the kernel under undici",
      [kernel("tcp_sendmsg"), UNDICI],
      "the kernel: socket reads and writes, polling",
    ],
    [
      "hashing under rendering",
      [
        native("sha256_block_data_order_shaext", "/usr/lib/libcrypto.so.3"),
        js("hash node:internal/crypto/hash:221:14"),
        RENDER,
        DISPATCHER,
      ],
      "rendering the body and headers, signing, the webhook-id",
    ],
    [
      "JSON.parse under the handler",
      [PARSE_JSON, HANDLER],
      "parsing and validating the event: UTF-8, JSON.parse, the schema",
    ],
    [
      "JSON.parse inside the NATS client (the relay's msg.json())",
      [PARSE_JSON, js("json /app/node_modules/@nats-io/nats-core/lib/msg.js:90:7"), RELAY],
      "parsing and validating the event: UTF-8, JSON.parse, the schema",
    ],
    [
      "the schema's validator under the handler",
      [js("validate20 :3:157"), HANDLER],
      "parsing and validating the event: UTF-8, JSON.parse, the schema",
    ],
    [
      "JSON.stringify inlined into the relay's loop",
      [STRINGIFY, RELAY],
      "rendering the body and headers, signing, the webhook-id",
    ],
    [
      "JSON.stringify of the NATS client's own pull request",
      [STRINGIFY, js("pull /app/node_modules/@nats-io/jetstream/lib/consumer.js:552:20"), HANDLER],
      "the NATS client",
    ],
    [
      "a stream write under undici",
      [native("node::StreamBase::Writev"), STREAM_WRITE, UNDICI, DISPATCHER],
      "the HTTP client: undici and Node.js's streams",
    ],
    [
      "a stream write under the NATS client (its acks)",
      [native("node::StreamBase::Writev"), STREAM_WRITE, NATS_WRITE, HANDLER],
      "the NATS client",
    ],
    ["the NATS client's parser", [NATS], "the NATS client"],
    [
      "resuming the attempt after its answer",
      [
        native("Builtins_ResumeGeneratorTrampoline"),
        js("processImmediate node:internal/timers:438:28"),
      ],
      "the delivery: its loop, handlers, limits, promises and timers",
    ],
    [
      "the dispatcher itself",
      [DISPATCHER],
      "the delivery: its loop, handlers, limits, promises and timers",
    ],
    [
      "malloc without a stack",
      [native("malloc", "/usr/lib/libc.so.6")],
      "other native code (allocation, the C library)",
    ],
    ["no frames at all", [], "other native code (allocation, the C library)"],
  ] as [string, Frame[], string][])("puts %s down to its part", (_what, stack, part) => {
    expect(partOf(stack)).toBe(part);
  });
});

describe("parseSamples", () => {
  it("reads each sample's process, thread, time and frames, leaf first", () => {
    const text = [
      "101/101  12.500000: ",
      "\tffffffff81407e44 tcp_sendmsg ([kernel.kallsyms])",
      "\t7fc22a9d3521 JS:*writeH1 /app/node_modules/undici/lib/dispatcher/client-h1.js:1144:18 (/tmp/perf-101.map)",
      "",
      "101/102  12.600000: ",
      "\t3808 [unknown] (/usr/lib/libgcc_s.so.1)",
    ].join("\n");
    expect(parseSamples(text)).toEqual([
      {
        pid: 101,
        tid: 101,
        time: 12.5,
        stack: [
          { sym: "tcp_sendmsg", dso: "[kernel.kallsyms]" },
          {
            sym: "JS:*writeH1 /app/node_modules/undici/lib/dispatcher/client-h1.js:1144:18",
            dso: "/tmp/perf-101.map",
          },
        ],
      },
      {
        pid: 101,
        tid: 102,
        time: 12.6,
        stack: [{ sym: "[unknown]", dso: "/usr/lib/libgcc_s.so.1" }],
      },
    ]);
  });
});

describe("partShares", () => {
  const sample = (pid: number, tid: number, time: number, stack: Frame[]): Sample => ({
    pid,
    tid,
    time,
    stack,
  });

  it("counts the second half of each main thread's samples, names its system, and weighs it in its process", () => {
    const samples = [
      // hookswitch: start-up (first half), then the drain
      sample(7, 7, 0, [native("v8::internal::Scanner::Next"), DISPATCHER]),
      sample(7, 7, 1, [native("v8::internal::Scanner::Next"), DISPATCHER]),
      sample(7, 7, 3, [NATS]),
      sample(7, 7, 4, [UNDICI, DISPATCHER]),
      // a helper thread of the same process: left out
      sample(7, 8, 4, [native("v8::internal::ConcurrentMarking::Run")]),
      // the relay's main thread
      sample(9, 9, 0, [js("drainRelay file:///app/scripts/bench/ceilings.mjs:136:26")]),
      sample(9, 9, 2, [NATS]),
      // a process that is neither
      sample(11, 11, 0, [NATS]),
    ];
    const threads = partShares(samples);
    expect(
      threads.map(({ pid, system, samples: n, mainShare }) => ({ pid, system, n, mainShare })),
    ).toEqual([
      // hookswitch's helper thread ran once while its main thread drained twice
      { pid: 7, system: "hookswitch", n: 2, mainShare: 2 / 3 },
      { pid: 9, system: "lean relay", n: 1, mainShare: 1 },
    ]);
    const hookswitch = Object.fromEntries(threads[0]!.shares.map((s) => [s.part, s.share]));
    expect(hookswitch["the NATS client"]).toBe(0.5);
    expect(hookswitch["the HTTP client: undici and Node.js's streams"]).toBe(0.5);
    expect(threads[0]!.shares.reduce((sum, s) => sum + s.share, 0)).toBeCloseTo(1);
  });
});
