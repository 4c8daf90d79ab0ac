/**
 * Isolation with events near the largest size the daemon delivers: an integration whose
 * receiver holds every request, sent large events steadily, must not hold up another
 * integration's small events. Its requests in flight are bounded by bytes, the rest park,
 * and the events in progress keep room for the small ones (operating.md, "Large events").
 * A build whose in-progress bytes equalled the requests' held small events up to 8 s once
 * the hanging requests filled them.
 */
import { describe, expect, it } from "vitest";
import { REQUEST_BYTES } from "../../src/delivery/concurrency/request-slots.js";
import {
  connectPublisher,
  deliveredEvents,
  makeEvent,
  startTracked,
  writeIntegration,
  type Publisher,
} from "../support/daemon.js";
import { useFreshParts } from "../support/real-parts.js";
import type { ReceivedRequest } from "../support/receiver.js";
import { sleep, waitFor } from "../support/wait.js";

const NAME_BYTES = 880_000;
/** Eight large events a second for ten seconds: the hanging requests soon fill their bound. */
const LARGE_EVERY_MS = 125;
const SMALL_EVERY_MS = 100;
const TRAFFIC_MS = 10_000;
/** Generous: 0.15–0.3 s at most here, where the held-up build took 6–9 s. */
const SMALL_LATENCY_BOUND_MS = 2_500;

describe("an integration whose receiver hangs, sent large events", () => {
  const parts = useFreshParts("small");

  it("holds up no small event of another integration, and delivers its own once the receiver answers", async () => {
    // No held attempt may time out and come again within the test: every request the
    // receiver holds is then one in flight (at the default 10 s, a slow run counted retries).
    const url = `${parts.receiver.url}/big`;
    writeIntegration(parts.dir, "big", { url, timeout: "60s" }, largeAccount);
    let answer = (): void => undefined;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    parts.receiver.respond((req) => (req.url === "/big" ? { until: answered } : undefined));
    const daemon = await startTracked(parts.daemons, {
      natsUrl: parts.nats.url,
      dir: parts.dir,
      args: ["--max-event-size", "960KiB"],
    });
    const publisher = await connectPublisher(parts.nats.url);
    let traffic: Awaited<ReturnType<typeof publishSteadily>>;
    try {
      traffic = await publishSteadily(publisher);
    } finally {
      await publisher.close();
    }

    await waitFor(() => smallArrivals(parts.receiver.requests).size === traffic.small.size, {
      timeoutMs: 20_000,
      what: "every small event delivered",
    });
    const late = lateArrivals(traffic.small, smallArrivals(parts.receiver.requests));
    expect(late, "small events delivered later than the bound after publication").toEqual([]);
    // The hanging integration's requests in flight stayed within their bytes.
    const eventBytes = Buffer.byteLength(JSON.stringify(traffic.largeSample));
    const held = parts.receiver.requests.filter((r) => r.url === "/big").length;
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThanOrEqual(Math.floor(REQUEST_BYTES / eventBytes));

    answer();
    await waitFor(() => deliveredTo(parts.receiver.requests, "/big").size === traffic.large, {
      timeoutMs: 40_000,
      what: "every large event delivered",
    });
    expect(daemon.output()).not.toContain('"level":"error"');
    expect(await daemon.stop()).toBe(0);
  }, 90_000);
});

const largeAccount = { scope: { account: "large" } };

/**
 * Publishes large events for `big` and small ones for `small` side by side for TRAFFIC_MS,
 * each kind at its own pace; returns when each small event was published, by id.
 */
async function publishSteadily(publisher: Publisher) {
  const small = new Map<string, number>();
  const largeName = "L".repeat(NAME_BYTES);
  const largeSample = makeEvent({ account: "large", name: largeName });
  let large = 0;
  const until = Date.now() + TRAFFIC_MS;
  const paced = async (everyMs: number, publishOne: () => Promise<void>) => {
    for (let next = Date.now(); next < until; next += everyMs) {
      await sleep(Math.max(0, next - Date.now()));
      await publishOne();
    }
  };
  await Promise.all([
    paced(LARGE_EVERY_MS, async () => {
      large++;
      await publisher.publish(makeEvent({ account: "large", name: largeName }));
    }),
    paced(SMALL_EVERY_MS, async () => {
      const event = makeEvent();
      small.set(event.id, Date.now());
      await publisher.publish(event);
    }),
  ]);
  return { small, large, largeSample };
}

/** When each small event first reached its receiver, by event id. */
function smallArrivals(requests: ReceivedRequest[]): Map<string, number> {
  const arrivals = new Map<string, number>();
  for (const r of requests) {
    if (r.url !== "/small") continue;
    const id = (JSON.parse(r.body) as { eventId: string }).eventId;
    if (!arrivals.has(id)) arrivals.set(id, r.at);
  }
  return arrivals;
}

function lateArrivals(published: Map<string, number>, arrived: Map<string, number>): string[] {
  const late: string[] = [];
  for (const [id, at] of published) {
    const waited = (arrived.get(id) ?? Infinity) - at;
    if (waited > SMALL_LATENCY_BOUND_MS) late.push(`${id} after ${waited} ms`);
  }
  return late;
}

function deliveredTo(requests: ReceivedRequest[], url: string): Set<string> {
  return deliveredEvents({ requests: requests.filter((r) => r.url === url && r.body !== "") });
}
