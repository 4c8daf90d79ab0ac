import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { integrationYaml } from "../support/config-dir.js";
import { useRealParts } from "../support/real-parts.js";
import { makeEvent, startTracked, tempDir } from "../support/daemon.js";
import { sleep, waitFor } from "../support/wait.js";

/** Longer than the test waits: the first request is still unanswered when it ends. */
const HELD_MS = 30_000;

describe("a maxInFlight raised while deliveries wait for room", () => {
  // The first request is held: the integration stays full until its cap is raised.
  const parts = useRealParts((_req, index) => (index === 0 ? { delayMs: HELD_MS } : {}));

  const slowHook = (maxInFlight: number) =>
    integrationYaml("slow", {
      webhook: { url: `${parts.receiver.url}/slow`, maxInFlight, timeout: "60s" },
    });

  it("sends the waiting deliveries at once, not after the held request ends", async () => {
    const dir = tempDir();
    parts.cleanups.push(() => dir.cleanup());
    const file = join(dir.path, "slow.yaml");
    writeFileSync(file, slowHook(1));
    const daemon = await startTracked(parts.daemons, {
      natsUrl: parts.nats.url,
      dir: dir.path,
      args: ["--grace-period", "1s"],
    });
    for (let i = 0; i < 3; i++) await parts.publisher.publish(makeEvent());
    await waitFor(() => parts.receiver.requests.length === 1, { what: "the first, held request" });
    // Long enough for the other two to leave the integration's line and be parked.
    await sleep(1_000);
    expect(parts.receiver.requests).toHaveLength(1);

    writeFileSync(file, slowHook(3));
    await waitFor(() => parts.receiver.requests.length === 3, {
      timeoutMs: 10_000,
      what: "the two waiting deliveries, sent beside the held one",
    });
    expect(await daemon.stop()).toBe(0);
  }, 60_000);
});

describe("a delivery parked while its integration is full", () => {
  // The first request takes 2 s: the second waits out its line and is parked meanwhile.
  const parts = useRealParts((_req, index) => (index === 0 ? { delayMs: 2_000 } : {}));

  it("is sent once the integration has room, not at the next look for parked work (10 s)", async () => {
    const dir = tempDir();
    parts.cleanups.push(() => dir.cleanup());
    writeFileSync(
      join(dir.path, "busy.yaml"),
      integrationYaml("busy", { webhook: { url: `${parts.receiver.url}/busy`, maxInFlight: 1 } }),
    );
    const daemon = await startTracked(parts.daemons, { natsUrl: parts.nats.url, dir: dir.path });
    for (let i = 0; i < 2; i++) await parts.publisher.publish(makeEvent());
    await waitFor(() => parts.receiver.requests.length === 2, {
      timeoutMs: 15_000,
      what: "both requests",
    });
    const [first, second] = parts.receiver.requests;
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(1_900);
    expect(second!.at - first!.at).toBeLessThan(6_000);
    expect(await daemon.stop()).toBe(0);
  }, 30_000);
});
