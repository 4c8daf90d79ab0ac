import { describe, expect, it } from "vitest";
import { useFreshParts } from "../support/real-parts.js";
import { publishEvents, startTracked, webhookIds } from "../support/daemon.js";
import { sleep, waitFor } from "../support/wait.js";

const ACK_WAIT_MS = 10_000;

describe("hookswitch run across a NATS restart", () => {
  const parts = useFreshParts("ledger", { maxInFlight: 64 });

  it("sends each webhook once when its receiver answers while NATS is down", async () => {
    const { nats, receiver } = parts;
    let answer = () => undefined as void;
    const answers = new Promise<void>((resolve) => (answer = resolve));
    receiver.respond(() => ({ until: answers }));
    const d = await startTracked(parts.daemons, {
      natsUrl: nats.url,
      dir: parts.dir,
      args: ["--ack-wait", `${ACK_WAIT_MS / 1000}s`],
      env: { LOG_LEVEL: "info" },
    });
    await publishEvents(nats.url, 20);
    await waitFor(() => receiver.requests.length === 20, { what: "20 webhooks in flight" });

    await nats.stop();
    await waitFor(() => /NATS connection: disconnect/.test(d.output()), {
      what: "the daemon to see NATS gone",
    });
    answer(); // every webhook answered while NATS is down: 20 acks to keep
    await sleep(300);
    await nats.start();
    await waitFor(() => /NATS connection: reconnect/.test(d.output()), {
      timeoutMs: 15_000,
      what: "the daemon back on NATS",
    });
    const backAt = Date.now();
    const later = await publishEvents(nats.url, 5);
    await waitFor(() => webhookIds(receiver.requests).size === 25, {
      what: "the events published after the restart delivered",
    });
    expect(later).toHaveLength(5);
    // An ack lost with the connection brings its event back after the ack wait. (nats-server
    // 2.10, restarted, at times forgets what it had delivered and sends it again at once:
    // at least once, and not what this test looks for.)
    await sleep(ACK_WAIT_MS + 2_000);
    expect(webhookIds(receiver.requests).size).toBe(25);
    const sentAfterAckWait = receiver.requests.filter((r) => r.at > backAt + ACK_WAIT_MS / 2);
    expect(sentAfterAckWait).toEqual([]);
  }, 60_000);
});
