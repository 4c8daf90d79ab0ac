#!/usr/bin/env node
// How fast `hookswitch run` dead-letters a flood of invalid events (a publisher that started
// sending a format hookswitch does not know), and how long the valid events published
// behind them wait. A throw-away nats-server gets the backlog first (small invalid events,
// then large ones, then valid ones); the daemon then starts with `--deliver all`, and the
// dead-letter stream and a receiver on 127.0.0.1 are watched until everything is through.
//
//   node scripts/bench/invalid-flood.mjs [--small 20000] [--large 100] [--valid 200]
//        [--cli dist/cli.js] [--profile DIR] [--timeout 110]
//
// Prints one JSON object: dead letters per second (small ones, large ones), when the valid
// events arrived (seconds after the first dead letter), the warning lines logged, and
// whether every message was dead-lettered once and acknowledged.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { createStream, makeEvent, subjectOf } from "./events.mjs";
import { freePort, sleep, startNats, stopChild, waitFor, wallNow } from "./support.mjs";
import { CLI } from "./systems.mjs";

const { values: flags } = parseArgs({
  options: {
    small: { type: "string", default: "20000" },
    large: { type: "string", default: "100" },
    valid: { type: "string", default: "200" },
    cli: { type: "string", default: CLI },
    profile: { type: "string" },
    timeout: { type: "string", default: "110" },
    /** Where nats-server writes its log (default: nowhere). */
    "nats-log": { type: "string" },
    /** More arguments for `hookswitch run`, space-separated (e.g. "--max-in-flight 8"). */
    args: { type: "string", default: "" },
    /** The large events: one long string, or a user with 470,000 numbers as call types. */
    "large-shape": { type: "string", default: "string" },
    /** Publish the large events among the valid ones (a run of valid ones after each). */
    mixed: { type: "boolean", default: false },
  },
});
const SMALL = Number(flags.small);
const LARGE = Number(flags.large);
const VALID = Number(flags.valid);
const INVALID = SMALL + LARGE;
const LARGE_BYTES = 950_000;
const STREAM = "PBX_EVENTS";
const PREFIX = "pbx";
const DLQ = "HOOKSWITCH_DLQ";
const WINDOW = 256;

/** Publishes `count` payloads from `make(i)`, at most WINDOW unanswered at once. */
async function publishMany(js, count, make) {
  const pending = new Set();
  for (let i = 0; i < count; i++) {
    const [subject, data] = make(i);
    const done = js.publish(subject, data);
    pending.add(done);
    void done.finally(() => pending.delete(done)).catch(() => undefined);
    if (pending.size >= WINDOW) await Promise.race(pending);
  }
  await Promise.all(pending);
}

/** Counts unique webhook ids with the time each first arrived. */
async function startReceiver() {
  const arrivals = new Map();
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const id = String(req.headers["webhook-id"]);
      if (!arrivals.has(id)) arrivals.set(id, wallNow());
      res.writeHead(204).end();
    });
  });
  const port = await freePort();
  await new Promise((done) => server.listen(port, "127.0.0.1", done));
  return { url: `http://127.0.0.1:${port}`, arrivals, close: () => server.close() };
}

/** About LARGE_BYTES of JSON: one long string, or a schema error per number. */
function largeEvent(shape) {
  if (shape === "string") return { not: "x".repeat(LARGE_BYTES) };
  const event = makeEvent({});
  event.data.user.enabledCalls = Array.from({ length: LARGE_BYTES / 2 - 1_000 }, () => 1);
  return event;
}

function integration(url) {
  return {
    apiVersion: "hookswitch/v1",
    name: "flood-check",
    scope: { account: "acme" },
    trigger: { serviceType: "mycloudpbx", events: ["user.created"] },
    webhook: { url: `${url}/hook` },
  };
}

const nats = await startNats({ logFile: flags["nats-log"] && resolve(flags["nats-log"]) });
const receiver = await startReceiver();
const dir = mkdtempSync(join(tmpdir(), "hookswitch-flood-"));
let daemon;
try {
  writeFileSync(join(dir, "flood.yaml"), JSON.stringify(integration(receiver.url)));
  const nc = await connect({ servers: nats.url });
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  await createStream(nc, STREAM, PREFIX);
  const small = JSON.stringify({ not: "an event" });
  const large = JSON.stringify(largeEvent(flags["large-shape"]));
  const subject = `${PREFIX}.acme.mycloudpbx.svc.user.created`;
  await publishMany(js, SMALL, () => [subject, small]);
  const valid = () => {
    const event = makeEvent({});
    return [subjectOf(PREFIX, event), JSON.stringify(event)];
  };
  if (flags.mixed) {
    // Each large event is followed by its share of the valid ones.
    const run = Math.max(1, Math.floor(VALID / Math.max(1, LARGE)));
    await publishMany(js, LARGE + VALID, (i) =>
      i % (run + 1) === 0 && i / (run + 1) < LARGE ? [subject, large] : valid(),
    );
  } else {
    await publishMany(js, LARGE, () => [subject, large]);
    await publishMany(js, VALID, valid);
  }

  const port = await freePort();
  const node = flags.profile ? ["--cpu-prof", "--cpu-prof-dir", resolve(flags.profile)] : [];
  const args = [
    ...["run", "--dir", dir, "--nats", nats.url, "--http-addr", `127.0.0.1:${port}`],
    ...["--stream", STREAM, "--subjects", `${PREFIX}.>`, "--deliver", "all"],
    ...["--log-level", "warn", "--grace-period", "2s"],
    ...flags.args.split(" ").filter(Boolean),
  ];
  const child = spawn(process.execPath, [...node, flags.cli, ...args], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  const log = { lines: 0, bytes: 0, invalidLines: 0, tail: "" };
  child.stderr.on("data", (chunk) => {
    const text = chunk.toString();
    log.bytes += chunk.length;
    log.tail = (log.tail + text).slice(-4_000);
    for (const line of text.split("\n")) {
      if (line.length > 0) log.lines++;
      if (line.includes("invalid event")) log.invalidLines++;
    }
  });
  daemon = child;
  const startedAt = wallNow();

  // The dead-letter count every 100 ms: when the first and the last of each kind landed.
  let first;
  let smallDone;
  let done;
  const deadline = Date.now() + Number(flags.timeout) * 1000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`hookswitch exited:\n${log.tail}`);
    const stored = await jsm.streams
      .info(DLQ)
      .then((info) => info.state.messages)
      .catch(() => 0);
    const now = wallNow();
    if (stored > 0) first ??= now;
    if (stored >= SMALL) smallDone ??= now;
    if (stored >= INVALID && receiver.arrivals.size >= VALID) {
      done = now;
      break;
    }
    if (Date.now() > deadline) break;
    await sleep(100);
  }
  const validTimes = [...receiver.arrivals.values()].sort((a, b) => a - b);
  const since = (t) =>
    t === undefined || first === undefined ? null : +((t - first) / 1000).toFixed(2);
  // Settled once its acks left (held 10 ms): nothing waits for an ack, so give it a moment.
  await waitFor(
    async () => {
      const info = await jsm.consumers.info(STREAM, "hookswitch");
      return info.num_ack_pending === 0 && info.num_pending === 0;
    },
    { timeoutMs: 10_000, what: "every message acknowledged" },
  ).catch(() => undefined);
  const consumer = await jsm.consumers.info(STREAM, "hookswitch");
  const dlq = await jsm.streams.info(DLQ);
  const smallSeconds = smallDone && first ? (smallDone - first) / 1000 : NaN;
  const largeSeconds = done && smallDone ? (done - smallDone) / 1000 : NaN;
  const result = {
    cli: flags.cli,
    sent: { small: SMALL, large: LARGE, largeBytes: LARGE_BYTES, valid: VALID },
    startToFirstDeadLetterS:
      since(startedAt) === null ? null : +((first - startedAt) / 1000).toFixed(2),
    smallPerSecond: Math.round(SMALL / smallSeconds),
    largePerSecond: LARGE > 0 ? +(LARGE / largeSeconds).toFixed(1) : null,
    validArrivedS: { first: since(validTimes[0]), last: since(validTimes.at(-1)) },
    allDoneS: since(done),
    deadLetters: dlq.state.messages,
    exactlyOnce: dlq.state.messages === INVALID,
    validDelivered: receiver.arrivals.size,
    consumer: {
      ackPending: consumer.num_ack_pending,
      pending: consumer.num_pending,
      redelivered: consumer.num_redelivered,
    },
    log: { lines: log.lines, invalidLines: log.invalidLines, bytes: log.bytes },
    logTail: log.tail.split("\n").slice(-6),
  };
  console.log(JSON.stringify(result, null, 2));
  await nc.close();
} finally {
  if (daemon) await stopChild(daemon, "SIGTERM", 10_000);
  receiver.close();
  await nats.dispose();
  rmSync(dir, { recursive: true, force: true });
}
