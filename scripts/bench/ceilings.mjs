// The ceilings, each run in its own process so its CPU and memory can be read apart:
//   node ceilings.mjs http <url> <count> <concurrency>   POSTs the webhook (body, headers), no NATS
//   node ceilings.mjs ack <nats-url> <stream> <consumer> <count> <timeout-ms>
//                                                        drains the backlog, only acks
//   node ceilings.mjs relay <nats-url> <stream> <consumer> <url>
//                                                        new events, POSTed as they come, then acked
//   node ceilings.mjs drain-relay <nats-url> <stream> <consumer> <url>
//                                                        the backlog, POSTed 64 at a time, acks held
// Prints one JSON line with what it did.
import { connect } from "@nats-io/transport-node";
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Pool } from "undici";
import { makeEvent, webhookBody, webhookHeaders } from "./events.mjs";

const wallNow = () => performance.timeOrigin + performance.now();
const [mode, ...args] = process.argv.slice(2);

/**
 * One POST on undici's dispatcher interface (no response stream); `done(ok)` gets whether
 * the answer was a 2xx.
 */
function post(pool, target, { headers, body }, done) {
  let status = 0;
  pool.dispatch(
    { origin: target.origin, path: target.pathname, method: "POST", headers, body },
    {
      onRequestStart() {},
      onResponseStart(_controller, statusCode) {
        status = statusCode;
      },
      onResponseData() {},
      onResponseEnd: () => done(status >= 200 && status < 300),
      onResponseError: () => done(false),
    },
  );
}

/**
 * The webhook POSTed as fast as this machine allows: undici's dispatcher interface (its
 * fastest, and hookswitch's), `concurrency` requests in flight, each answer starting the
 * next request.
 */
async function httpCeiling(url, count, concurrency) {
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections: concurrency, pipelining: 1 });
  const body = webhookBody(makeEvent({}));
  let next = 0;
  let answered = 0;
  let errors = 0;
  await new Promise((resolve) => {
    // Each answer starts the next request.
    const done = (ok) => {
      if (!ok) errors++;
      if (++answered === count) resolve();
      else if (next < count) send();
    };
    const send = () => post(pool, target, { headers: webhookHeaders(`seq-${next++}`), body }, done);
    for (let i = 0; i < Math.min(concurrency, count); i++) send();
  });
  await pool.close();
  return { sent: count, errors };
}

/** A new durable consumer's messages, 256 asked for at a time. */
async function consume(natsUrl, stream, consumerName, config) {
  const nc = await connect({ servers: natsUrl });
  const jsm = await jetstreamManager(nc);
  await jsm.consumers.add(stream, {
    durable_name: consumerName,
    ack_policy: AckPolicy.Explicit,
    ...config,
  });
  const consumer = await jetstream(nc).consumers.get(stream, consumerName);
  return { nc, messages: await consumer.consume({ max_messages: 256 }) };
}

async function ackCeiling(natsUrl, stream, consumerName, count, timeoutMs) {
  const { nc, messages } = await consume(natsUrl, stream, consumerName, {
    deliver_policy: DeliverPolicy.All,
    max_ack_pending: 1024,
  });
  const timer = setTimeout(() => void messages.close(), timeoutMs);
  let acked = 0;
  let first = NaN;
  let last = NaN;
  for await (const msg of messages) {
    msg.ack();
    last = wallNow();
    if (acked++ === 0) first = last;
    if (acked >= count) break;
  }
  clearTimeout(timer);
  await nc.drain();
  return { count: acked, first, last };
}

/**
 * The latency floor: the leanest JetStream-to-HTTP path (no validation, matching,
 * rendering, signing or bookkeeping), so that (b) can be read against what this machine
 * does at the same rate. New events only; runs until stopped.
 */
async function relay(natsUrl, stream, consumerName, url) {
  const { nc, messages } = await consume(natsUrl, stream, consumerName, {
    deliver_policy: DeliverPolicy.New,
  });
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections: 64, pipelining: 1 });
  process.once("SIGTERM", () => void messages.close());
  console.log(JSON.stringify({ ready: true }));
  for await (const msg of messages) {
    const event = msg.json();
    pool
      .request({
        path: target.pathname,
        method: "POST",
        headers: webhookHeaders(event.id),
        body: webhookBody(event),
      })
      .then(async (response) => (await response.body.dump(), msg.ack()))
      .catch(() => msg.nak());
  }
  await pool.close();
  await nc.drain();
  return { stopped: true };
}

/** Acknowledgements sent together, at most this long after their answer, as hookswitch does. */
const ACK_HOLD_MS = 10;

/**
 * The same path draining a backlog with hookswitch's transport and nothing else: undici's
 * dispatcher interface (no response stream), 64 in flight, acks held for 10 ms and sent
 * together. What one event loop that only consumes and POSTs reaches here; hookswitch's
 * figure over it is what its features cost. Runs until stopped.
 */
async function drainRelay(natsUrl, stream, consumerName, url) {
  const { nc, messages } = await consume(natsUrl, stream, consumerName, {
    deliver_policy: DeliverPolicy.All,
    max_ack_pending: 1024,
  });
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections: 64, pipelining: 1 });
  process.once("SIGTERM", () => void messages.close());
  console.log(JSON.stringify({ ready: true }));
  let inFlight = 0;
  let room;
  let held = [];
  let flushTimer;
  const flush = () => {
    flushTimer = undefined;
    const acks = held;
    held = [];
    for (const msg of acks) msg.ack();
  };
  const settle = (msg, ok) => {
    if (ok) {
      held.push(msg);
      flushTimer ??= setTimeout(flush, ACK_HOLD_MS);
    } else msg.nak();
    inFlight--;
    room?.();
    room = undefined;
  };
  for await (const msg of messages) {
    if (inFlight >= 64) await new Promise((resolve) => (room = resolve));
    inFlight++;
    const event = msg.json();
    const request = { headers: webhookHeaders(event.id), body: webhookBody(event) };
    post(pool, target, request, (ok) => settle(msg, ok));
  }
  await pool.close();
  if (flushTimer) clearTimeout(flushTimer);
  flush();
  await nc.drain();
  return { stopped: true };
}

const result =
  mode === "http"
    ? await httpCeiling(args[0], Number(args[1]), Number(args[2]))
    : mode === "relay"
      ? await relay(args[0], args[1], args[2], args[3])
      : mode === "drain-relay"
        ? await drainRelay(args[0], args[1], args[2], args[3])
        : await ackCeiling(args[0], args[1], args[2], Number(args[3]), Number(args[4]));
console.log(JSON.stringify(result));
