/**
 * A nats-server older than 2.10.27 can pass messages by once a consumer is created again
 * (nats/server-version.ts): the daemon says so at start, and says nothing of it on a newer one.
 */
import { describe, expect, it } from "vitest";
import { keepsSubjectIndex } from "../../src/nats/server-version.js";
import { startTracked, tempDir, writeIntegration } from "../support/daemon.js";
import { natsServerVersion } from "../support/nats-server.js";
import { useRealParts } from "../support/real-parts.js";
import { waitFor } from "../support/wait.js";

type LogLine = { level: string; msg: string; natsServer?: string };

describe("hookswitch run on the nats-server the tests run", () => {
  const parts = useRealParts();
  const version = natsServerVersion();
  const old = !keepsSubjectIndex(version);

  it(`${old ? "warns" : "does not warn"} at start that nats-server ${version} may pass messages by`, async () => {
    const dir = tempDir();
    parts.cleanups.push(() => dir.cleanup());
    writeIntegration(dir.path, "crm", { url: `${parts.receiver.url}/crm` });
    const daemon = await startTracked(parts.daemons, { natsUrl: parts.nats.url, dir: dir.path });
    const lines = () =>
      daemon
        .output()
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as LogLine);
    await waitFor(() => lines().some((line) => line.msg.includes("is running")), {
      what: "the daemon running",
    });
    const warned = lines().filter((line) => line.msg.includes("is older than 2.10.27"));
    expect(warned.map((line) => [line.level, line.natsServer])).toEqual(
      old ? [["warn", version]] : [],
    );
    expect(await daemon.stop()).toBe(0);
  });
});
