/**
 * A stop while deliveries are parked behind a full integration: the readers of parked
 * deliveries stop with the consumers, so room made during the grace period starts nothing.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { integrationYaml } from "../support/config-dir.js";
import { makeEvent, startTracked, tempDir } from "../support/daemon.js";
import { arrivals } from "../support/ledger.js";
import { useRealParts } from "../support/real-parts.js";
import { sleep, waitFor } from "../support/wait.js";

describe("a stop while deliveries are parked behind a held request", () => {
  let answer = () => undefined as void;
  const answered = new Promise<void>((resolve) => (answer = resolve));
  // The first request is held until the daemon is stopping; the others answer at once.
  const parts = useRealParts((_req, index) => (index === 0 ? { until: answered } : {}));

  it("starts no parked delivery once stopping, and the next run sends each once", async () => {
    const dir = tempDir();
    parts.cleanups.push(() => dir.cleanup());
    writeFileSync(
      join(dir.path, "busy.yaml"),
      integrationYaml("busy", {
        webhook: { url: `${parts.receiver.url}/busy`, maxInFlight: 1, timeout: "60s" },
      }),
    );
    const start = () =>
      startTracked(parts.daemons, {
        natsUrl: parts.nats.url,
        dir: dir.path,
        args: ["--grace-period", "10s"],
      });
    const daemon = await start();
    for (let i = 0; i < 3; i++) await parts.publisher.publish(makeEvent());
    await waitFor(() => parts.receiver.requests.length === 1, { what: "the first, held request" });
    // Long enough for the other two to leave the integration's line and be parked.
    await sleep(1_000);

    daemon.signal("SIGTERM");
    await waitFor(async () => (await fetch(`${daemon.http}/readyz`)).status === 503, {
      what: "the daemon to be stopping",
    });
    answer(); // the integration has room again, within the grace period
    expect(await daemon.exited).toBe(0);
    expect(parts.receiver.requests).toHaveLength(1);

    const next = await start();
    await waitFor(() => arrivals(parts.receiver.requests).size === 3, {
      timeoutMs: 15_000,
      what: "the two parked deliveries, from the next run",
    });
    await sleep(1_500); // room for a duplicate, were one on its way
    expect(parts.receiver.requests).toHaveLength(3);
    expect(await next.stop()).toBe(0);
  }, 60_000);
});
