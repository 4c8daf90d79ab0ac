import { describe, expect, it } from "vitest";
import { aborted, holdEarlySignals, installSignalLadder } from "../src/lifecycle.js";
import { capturingLogger } from "./support/logs.js";

describe("waiting for a signal to abort", () => {
  it("resolves every wait once the signal aborts, with no leak warning for many", async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on("warning", onWarning);
    try {
      const grace = new AbortController();
      let ended = 0;
      const waits = Array.from({ length: 50 }, () => aborted(grace.signal).then(() => ended++));
      await new Promise((resolve) => setImmediate(resolve));
      expect(ended).toBe(0);
      grace.abort();
      await Promise.all(waits);
      expect(ended).toBe(50);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).not.toContain("MaxListenersExceededWarning");
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("resolves at once for a signal aborted already", async () => {
    await expect(aborted(AbortSignal.abort())).resolves.toBeUndefined();
  });
});

describe("signals before the ladder listens", () => {
  it("are held, not left to end the process: a SIGTERM held stops, a SIGHUP held is dropped", async () => {
    holdEarlySignals();
    const sent: NodeJS.Signals[] = ["SIGHUP", "SIGTERM"];
    // Seen here too once delivered (a signal to oneself arrives on a later turn).
    const delivered = new Promise<void>((resolve) => {
      let count = 0;
      const seen = () => {
        if (++count < sent.length) return;
        for (const signal of sent) process.off(signal, seen);
        resolve();
      };
      for (const signal of sent) process.on(signal, seen);
    });
    for (const signal of sent) process.kill(process.pid, signal);
    await delivered;
    let hangups = 0;
    const ladder = installSignalLadder(capturingLogger().log, () => hangups++);
    try {
      await expect(ladder.stopRequested).resolves.toEqual({ signal: "SIGTERM" });
      expect(hangups).toBe(0);
      for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
        expect(process.listenerCount(signal)).toBe(1); // the ladder's alone
      }
    } finally {
      ladder.dispose();
    }
  });

  it("hands the ladder nothing when none came", async () => {
    holdEarlySignals();
    const ladder = installSignalLadder(capturingLogger().log, () => undefined);
    try {
      const stop = await Promise.race([ladder.stopRequested, Promise.resolve("none")]);
      expect(stop).toBe("none");
    } finally {
      ladder.dispose();
    }
  });
});
