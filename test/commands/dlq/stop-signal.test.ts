import { afterEach, describe, expect, it, vi } from "vitest";
import { stopBetweenLetters } from "../../../src/commands/dlq/stop-signal.js";

const listeners = () => [process.listenerCount("SIGINT"), process.listenerCount("SIGTERM")];

describe("the stop between dead letters", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it.each(["SIGINT", "SIGTERM"] as const)(
    "takes the first %s as a stop after the letter in hand, and leaves the next to stop at once",
    (signal) => {
      const said = vi.spyOn(process.stderr, "write").mockReturnValue(true);
      const before = listeners();
      const others = process.listeners(signal);
      const stop = stopBetweenLetters();
      expect(listeners()).toEqual(before.map((n) => n + 1));
      expect(stop.requested()).toBeUndefined();
      // Called as a real signal calls it (the worker's own listeners, if any, left alone).
      const [added] = process.listeners(signal).filter((l) => !others.includes(l));
      added?.(signal);
      expect(stop.requested()).toBe(signal);
      expect(said).toHaveBeenCalledWith(
        `${signal}: stopping after the dead letter in hand (send it again to stop at once)\n`,
      );
      // Gone: a second signal gets Node's own handling, which ends the process.
      expect(listeners()).toEqual(before);
      stop.dispose();
      expect(listeners()).toEqual(before);
    },
  );

  it("asks nothing of a run that ends without a signal, and leaves no listener", () => {
    const before = listeners();
    const stop = stopBetweenLetters();
    stop.dispose();
    expect(stop.requested()).toBeUndefined();
    expect(listeners()).toEqual(before);
  });
});
