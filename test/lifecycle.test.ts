import { describe, expect, it } from "vitest";
import { aborted } from "../src/lifecycle.js";

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
