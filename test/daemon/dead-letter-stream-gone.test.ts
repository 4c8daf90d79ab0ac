/**
 * HOOKSWITCH_DLQ deleted while no dead letter is on its way: the daemon's periodic count of
 * the dead letters finds it missing and has it set up again, so that the dead letters of
 * events that run out of deliveries (stored from NATS advisories) do not wait on it.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { DEAD_LETTER_STREAM } from "../../src/nats/layout.js";
import { deleteInUse } from "../support/nats-server.js";
import { startTracked, tempDir, writeIntegration } from "../support/daemon.js";
import { useRealParts } from "../support/real-parts.js";
import { waitFor } from "../support/wait.js";

describe("hookswitch run when its dead-letter stream is deleted and no dead letter comes", () => {
  const parts = useRealParts();

  it("sets it up again at its next count (every 15 s), saying it was not found", async () => {
    const dir = tempDir();
    parts.cleanups.push(() => dir.cleanup());
    writeIntegration(dir.path, "ledger", { url: `${parts.receiver.url}/ledger` });
    const daemon = await startTracked(parts.daemons, { natsUrl: parts.nats.url, dir: dir.path });
    const jsm = await jetstreamManager(parts.publisher.nc);

    await deleteInUse(jsm, DEAD_LETTER_STREAM);
    await waitFor(() => jsm.streams.info(DEAD_LETTER_STREAM).then(Boolean, () => false), {
      timeoutMs: 30_000,
      intervalMs: 250,
      what: "HOOKSWITCH_DLQ set up again",
    });
    expect(daemon.output()).toMatch(/stream HOOKSWITCH_DLQ not found \(deleted/);
    expect(await daemon.stop()).toBe(0);
  }, 45_000);
});
