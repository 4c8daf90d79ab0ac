/**
 * Events near the largest size the daemon delivers: what it holds at once is bounded by bytes,
 * not only by `--max-in-flight`, so that a replica's memory stays within its limit. Requests in
 * flight weigh no more than `REQUEST_BYTES` together; those that wait longer than a second for
 * room park, and are delivered once the receiver answers.
 */
import { describe, expect, it } from "vitest";
import { REQUEST_BYTES } from "../../src/delivery/concurrency/request-slots.js";
import { connectPublisher, deliveredEvents, makeEvent, startTracked } from "../support/daemon.js";
import { useFreshParts } from "../support/real-parts.js";
import { sleep, waitFor } from "../support/wait.js";

const EVENTS = 60;
const NAME_BYTES = 900_000;

describe("a backlog of events near the largest size the daemon delivers", () => {
  const parts = useFreshParts("crm");

  it("has no more requests in flight than their bytes allow, and delivers every event once the receiver answers", async () => {
    let answer = (): void => undefined;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    parts.receiver.respond(() => ({ until: answered }));
    // The daemon's streams and consumer exist, then the backlog is published while none runs.
    const first = await startTracked(parts.daemons, { natsUrl: parts.nats.url, dir: parts.dir });
    expect(await first.stop()).toBe(0);
    const publisher = await connectPublisher(parts.nats.url);
    const events = Array.from({ length: EVENTS }, () =>
      makeEvent({ name: "L".repeat(NAME_BYTES) }),
    );
    for (const event of events) await publisher.publish(event);
    await publisher.close();
    const eventBytes = Buffer.byteLength(JSON.stringify(events[0]));
    const allowed = Math.floor(REQUEST_BYTES / eventBytes);

    const daemon = await startTracked(parts.daemons, {
      natsUrl: parts.nats.url,
      dir: parts.dir,
      args: ["--max-event-size", "960KiB"],
    });
    await waitFor(() => parts.receiver.requests.length >= allowed, {
      timeoutMs: 20_000,
      what: `${allowed} requests in flight`,
    });
    // By count alone all 60 would be in flight (the integration's maxInFlight is 64).
    await sleep(1_500);
    expect(parts.receiver.requests.length).toBe(allowed);

    answer();
    await waitFor(() => deliveredEvents(parts.receiver).size === EVENTS, {
      timeoutMs: 30_000,
      what: "every event delivered",
    });
    expect(daemon.output()).not.toContain('"level":"error"');
    expect(await daemon.stop()).toBe(0);
  }, 60_000);
});
