/**
 * `hookswitch run 2>&1 | head`: the daemon's logs go into a pipe whose reader is gone. It
 * must go on delivering, and stop on SIGTERM as it would otherwise: exit 0, nothing held.
 */
import { describe, expect, it } from "vitest";
import { makeEvent, startTracked, tempDir, writeIntegration } from "../support/daemon.js";
import { useRealParts } from "../support/real-parts.js";
import { waitFor } from "../support/wait.js";

const EVENTS = 5;

describe("hookswitch run logging into a closed pipe", () => {
  const parts = useRealParts();

  it.each(["json", "pretty"])(
    "keeps delivering and stops cleanly with --log-format %s",
    async (format) => {
      const dir = tempDir();
      parts.cleanups.push(() => dir.cleanup());
      writeIntegration(dir.path, "crm", { url: `${parts.receiver.url}/hook` });
      const daemon = await startTracked(parts.daemons, {
        natsUrl: parts.nats.url,
        dir: dir.path,
        args: ["--log-format", format],
      });
      // The reader goes away: every log line from now on (debug: one per attempt) meets EPIPE.
      daemon.child.stdout?.destroy();
      daemon.child.stderr?.destroy();
      const before = parts.receiver.requests.length;
      for (let i = 0; i < EVENTS; i++) await parts.publisher.publish(makeEvent());
      await waitFor(() => parts.receiver.requests.length >= before + EVENTS, {
        timeoutMs: 15_000,
        what: `${EVENTS} deliveries`,
      });
      expect(daemon.child.exitCode).toBeNull();
      expect(await daemon.stop()).toBe(0);
    },
  );
});
