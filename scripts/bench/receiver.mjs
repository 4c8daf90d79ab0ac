// The webhook receiver of the benchmark, in its own process (forked with IPC): a keep-alive
// HTTP server that counts unique deliveries per path group by `webhook-id`, checks a sample
// of bodies (and their signatures, when told the secret), measures publish → receipt
// latency when asked, and can answer slowly for chosen groups. The parent controls it with
// { type: "reset" | "stats" } messages.
import { createHmac } from "node:crypto";
import { createServer } from "node:http";

const SAMPLE_EVERY = 97;
const wallNow = () => performance.timeOrigin + performance.now();

let groups = new Map();
let slow = {};
let measureLatency = false;
let latencies = [];
let duplicates = 0;
let badBodies = 0;
let checkedBodies = 0;
let seen = new Set();
/** The HMAC key when deliveries must be signed (Standard Webhooks), else undefined. */
let signingKey;

function reset(options) {
  signingKey =
    options.signingSecret === undefined
      ? undefined
      : Buffer.from(options.signingSecret.replace(/^whsec_/, ""), "base64");
  groups = new Map();
  slow = options.slow ?? {};
  measureLatency = options.latency === true;
  latencies = [];
  duplicates = 0;
  badBodies = 0;
  checkedBodies = 0;
  seen = new Set();
}

function groupOf(url) {
  const end = url.indexOf("/", 1);
  const group = url.slice(1, end === -1 ? undefined : end);
  const query = group.indexOf("?");
  return query === -1 ? group : group.slice(0, query);
}

/** A delivery body must be JSON with the user's name (every system under test sends it). */
function readName(body) {
  try {
    const value = JSON.parse(body);
    return typeof value?.name === "string" ? value.name : undefined;
  } catch {
    return undefined;
  }
}

/** `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">` among the header's signatures. */
function signedRight(headers, id, body) {
  const timestamp = headers["webhook-timestamp"];
  const signatures = headers["webhook-signature"];
  if (typeof timestamp !== "string" || typeof signatures !== "string") return false;
  const digest = createHmac("sha256", signingKey).update(`${id}.${timestamp}.${body}`);
  return signatures.split(" ").includes(`v1,${digest.digest("base64")}`);
}

function record(group, id, body, arrivedAt, headers) {
  if (seen.has(id)) {
    duplicates++;
    return;
  }
  seen.add(id);
  let counts = groups.get(group);
  if (!counts) groups.set(group, (counts = { unique: 0, first: arrivedAt, last: arrivedAt }));
  counts.unique++;
  counts.last = arrivedAt;
  if (!measureLatency && counts.unique % SAMPLE_EVERY !== 1) return;
  const name = readName(body);
  checkedBodies++;
  if (name === undefined || (signingKey && !signedRight(headers, id, body))) badBodies++;
  else if (measureLatency && !name.startsWith("w")) latencies.push(arrivedAt - Number(name));
}

const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    const arrivedAt = wallNow();
    const group = groupOf(req.url ?? "/");
    const id = req.headers["webhook-id"] ?? "";
    record(group, String(id), Buffer.concat(chunks).toString("utf8"), arrivedAt, req.headers);
    const answer = () => res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    const delayMs = slow[group];
    if (delayMs) setTimeout(answer, delayMs);
    else answer();
  });
});
server.keepAliveTimeout = 60_000;

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function stats() {
  const sorted = latencies.toSorted((a, b) => a - b);
  return {
    type: "stats",
    groups: Object.fromEntries(groups),
    duplicates,
    badBodies,
    checkedBodies,
    latency: {
      count: sorted.length,
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      p99: percentile(sorted, 99),
      max: sorted.at(-1) ?? NaN,
    },
  };
}

process.on("message", (message) => {
  if (message?.type === "reset") {
    reset(message);
    process.send({ type: "reset-done" });
  } else if (message?.type === "stats") process.send(stats());
  else if (message?.type === "exit") server.close(() => process.exit(0));
});
process.on("disconnect", () => process.exit(0));

server.listen(0, "127.0.0.1", () => process.send({ type: "ready", port: server.address().port }));
