// `npm run bench:steps`: the per-event steps of hookswitch's delivery path, timed
// in-process (no NATS, no sockets) beside the least the same work can cost, as the drain
// benchmark cannot tell the steps apart. Nothing asserts times.
//   node scripts/bench/steps.mjs [--calls N] [--rounds N]
import { createHmac, createSecretKey } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { makeEvent, webhookBody } from "./events.mjs";
import { integrationDoc, SIGNING_SECRET, writeIntegrations } from "./systems.mjs";

const DIST = new URL("../../dist/", import.meta.url);
if (!existsSync(new URL("cli.js", DIST))) {
  throw new Error("dist/cli.js is missing: run `npm run build` first");
}
const { loadIntegrations } = await import(new URL("config/load/load.js", DIST).href);
const { buildSnapshot } = await import(new URL("delivery/snapshot.js", DIST).href);
const { parseEvent } = await import(new URL("events/parse.js", DIST).href);
const { matchEvent } = await import(new URL("events/match.js", DIST).href);
const { signingKey, signingKeys, signWithKeys } = await import(
  new URL("delivery/sign.js", DIST).href
);
const { webhookId } = await import(new URL("delivery/webhook-id.js", DIST).href);
const { createMetrics } = await import(new URL("http/metrics.js", DIST).href);
const { DeliveryStats } = await import(new URL("delivery/stats.js", DIST).href);

const { values: flags } = parseArgs({
  options: { calls: { type: "string" }, rounds: { type: "string" } },
});
const CALLS = Number(flags.calls ?? 100_000);
const ROUNDS = Number(flags.rounds ?? 5);

/** One signed integration and one unsigned one, loaded by the loader `hookswitch run` uses. */
async function loadBoth() {
  const dir = mkdtempSync(join(tmpdir(), "hookswitch-steps-"));
  try {
    const signed = integrationDoc({ name: "signed", url: "http://127.0.0.1:9" });
    const unsigned = integrationDoc({
      name: "unsigned",
      account: "other",
      url: "http://127.0.0.1:9",
    });
    delete unsigned.webhook.signing;
    writeIntegrations(dir, [signed, unsigned]);
    const loaded = await loadIntegrations([dir], { secrets: "resolve" });
    if (loaded.problems.length > 0) throw new Error(JSON.stringify(loaded.problems));
    return loaded.integrations;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const snapshot = buildSnapshot(await loadBoth());
const signed = snapshot.byName.get("signed");
const unsigned = snapshot.byName.get("unsigned");
const stats = new DeliveryStats();
const metrics = createMetrics({
  requestsInFlight: () => 0,
  isNatsConnected: () => true,
  isReady: () => true,
  deliveryCounts: () => stats.counts(),
});
const delivered = { at: new Date().toISOString(), outcome: "delivered", status: 200, error: null };
const keys = signingKeys([SIGNING_SECRET]);
// The floor's key is imported once too, as a KeyObject is not imported again per HMAC.
const key = createSecretKey(signingKey(SIGNING_SECRET));

// Different events, as a drain sees them: caches and inline caches warm, values not.
const events = Array.from({ length: 1_000 }, () => makeEvent({}));
const bytes = events.map((event) => Buffer.from(JSON.stringify(event)));
const decoder = new TextDecoder();
const now = new Date();
const nowIso = now.toISOString();
const timestamp = Math.floor(now.getTime() / 1000);
const ids = events.map((event) => webhookId("signed", event.id));
const bodies = events.map((event, i) => signed.render(event, now, ids[i]).body);

let sink = 0;
/** Runs `step` over the events `calls` times; µs per call. */
function round(step, calls) {
  const started = performance.now();
  for (let i = 0; i < calls; i++) sink += step(i % events.length) ? 1 : 0;
  return ((performance.now() - started) * 1000) / calls;
}

const summary = (rounds) => {
  rounds.sort((a, b) => a - b);
  return { median: rounds[Math.floor(rounds.length / 2)], min: rounds[0], max: rounds.at(-1) };
};

/**
 * µs per call of each function, after a warm-up: the median and range of several rounds.
 * The rounds of a step and of its floor alternate, and which goes first alternates too,
 * so that the machine's drift does not fall on one of them.
 */
function time(...steps) {
  for (const step of steps) round(step, CALLS / 5);
  const rounds = steps.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? steps.keys() : [...steps.keys()].reverse();
    for (const k of order) rounds[k].push(round(steps[k], CALLS));
  }
  return rounds.map(summary);
}

/** Each step of hookswitch's, and the floor it is read against (the same work, bare). */
const STEPS = [
  {
    step: "parse and validate an event (`parseEvent`)",
    run: (i) => parseEvent(bytes[i]).ok,
    floor: "decode and `JSON.parse` only",
    bare: (i) => JSON.parse(decoder.decode(bytes[i])),
  },
  {
    step: "match it (`matchEvent`, 2 integrations loaded)",
    run: (i) => matchEvent(snapshot.index, events[i]).length,
  },
  { step: "its webhook-id (`webhookId`)", run: (i) => webhookId("signed", events[i].id) },
  {
    step: "render the request, unsigned",
    run: (i) => unsigned.render(events[i], now, ids[i]).body,
    floor: "`JSON.stringify` of the same fields",
    // With the time formatted once, as hookswitch formats it once per millisecond.
    bare: (i) => webhookBody(events[i], nowIso),
  },
  {
    step: "sign it (`signWithKeys`, one secret)",
    run: (i) => signWithKeys(keys, ids[i], timestamp, bodies[i]),
    floor: "one `createHmac` of `id.timestamp.body`",
    bare: (i) =>
      createHmac("sha256", key)
        .update(`${ids[i]}.${timestamp}.${bodies[i]}`, "utf8")
        .digest("base64"),
  },
  {
    step: "render the request, signed",
    run: (i) => signed.render(events[i], now, ids[i]).body,
  },
  {
    step: "count the attempt and the delivery (metrics, status page)",
    run: () => {
      metrics.attemptDuration.observe("signed", 0.004);
      stats.record("signed", delivered);
      return true;
    },
  },
];

const fmt = ({ median, min, max }) => `${median.toFixed(2)} (${min.toFixed(2)}–${max.toFixed(2)})`;
const lines = [
  `${ROUNDS} rounds of ${CALLS.toLocaleString("en")} calls each; µs per call: median (min–max)`,
  "",
  "| step | µs per call | floor | floor µs per call | × floor |",
  "|---|---|---|---|---|",
];
for (const { step, run, floor, bare } of STEPS) {
  const [own, base] = bare ? time(run, bare) : time(run);
  const ratio = base ? (own.median / base.median).toFixed(2) : "–";
  lines.push(`| ${step} | ${fmt(own)} | ${floor ?? "–"} | ${base ? fmt(base) : "–"} | ${ratio} |`);
}
console.log(lines.join("\n"));
if (sink < 0) console.log(sink); // keeps every result alive
