import { describe, expect, it } from "vitest";
import { createRecovery, type RecoveryOptions } from "../../src/nats/recovery.js";
import { capturingLogger, type LogLine } from "../support/logs.js";
import { openTimers, sleep, waitFor } from "../support/wait.js";

/**
 * A recovery whose set-up fails with the given problems in turn, then works; each call
 * of the set-up is timed, and everything logged is kept.
 */
function recoveryWith(problems: string[], options: Partial<RecoveryOptions> = {}) {
  const { log, lines } = capturingLogger("debug");
  const setups: number[] = [];
  const failing = [...problems];
  const recovery = createRecovery({
    setup: () => {
      setups.push(Date.now());
      const problem = failing.shift();
      return problem === undefined ? Promise.resolve() : Promise.reject(new Error(problem));
    },
    resumed: () => Promise.resolve(),
    log,
    retryMinMs: 20,
    retryMaxMs: 80,
    ...options,
  });
  return { recovery, lines, setups };
}

const said = (lines: LogLine[]) => lines.map((line) => `${String(line.level)} ${String(line.msg)}`);
const setUpAgain = (lines: LogLine[]) => lines.some((line) => line.attempts !== undefined);

/** A promise and the function that settles it, for a set-up that waits to be let go. */
function gate() {
  let open!: () => void;
  let fail!: (err: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { done, open, fail };
}

describe("the recovery of lost streams and consumers", () => {
  it("is not ready while it sets up again, says what was lost, and is ready once consuming", async () => {
    const held = gate();
    const { recovery, lines } = recoveryWith([], { resumed: () => held.done });
    expect(recovery.reason()).toBeUndefined();
    recovery.lost("consumer c on stream S was deleted");
    expect(recovery.reason()).toBe(
      "consumer c on stream S was deleted; setting JetStream up again",
    );
    expect(said(lines)).toEqual([
      "warn consumer c on stream S was deleted (deleted, NATS restarted without its storage, or NATS is stopping): " +
        "not ready while hookswitch sets up its streams and consumers again",
    ]);
    held.open();
    await waitFor(() => setUpAgain(lines));
    expect(lines.at(-1)).toMatchObject({ attempts: 1, msg: "JetStream set up again: consuming" });
    expect(recovery.reason()).toBeUndefined();
  });

  it("logs a consumer it removed itself at info, with no talk of deletion or restarts", async () => {
    const { recovery, lines } = recoveryWith([]);
    recovery.lost("consumer c restored", true);
    await waitFor(() => setUpAgain(lines));
    expect(said(lines)[0]).toBe(
      "info consumer c restored: not ready while hookswitch sets up its streams and consumers again",
    );
  });

  it("runs one recovery at a time: a loss reported meanwhile starts no second set-up", async () => {
    const held = gate();
    const { recovery, lines, setups } = recoveryWith([], { resumed: () => held.done });
    recovery.lost("stream S not found");
    recovery.lost("consumer c on stream S not found");
    held.open();
    await waitFor(() => setUpAgain(lines));
    expect(setups).toHaveLength(1);
    expect(lines.filter((line) => line.what !== undefined)).toHaveLength(1);
  });

  it("starts a new recovery for a loss reported after the last one ended", async () => {
    const { recovery, lines, setups } = recoveryWith([]);
    recovery.lost("stream S not found");
    await waitFor(() => setUpAgain(lines));
    // The flag of the run is cleared a tick after it logs.
    await waitFor(() => {
      recovery.lost("stream S not found");
      return setups.length === 2;
    });
    await waitFor(() => lines.filter((line) => line.attempts !== undefined).length === 2);
    expect(recovery.reason()).toBeUndefined();
  });

  it("retries a failing set-up, says each new problem at warn and its repeats at debug", async () => {
    const { recovery, lines, setups } = recoveryWith(["no quorum", "no quorum", "timeout"]);
    recovery.lost("stream S not found");
    await waitFor(() => setUpAgain(lines));
    expect(setups).toHaveLength(4);
    expect(said(lines).slice(1)).toEqual([
      "warn JetStream set-up failed: no quorum; retrying",
      "debug JetStream set-up failed: no quorum; retrying",
      "warn JetStream set-up failed: timeout; retrying",
      "info JetStream set up again: consuming",
    ]);
    expect(lines.at(-1)).toMatchObject({ attempts: 4 });
    expect(recovery.reason()).toBeUndefined();
  });

  it("says the last problem as the reason it is not ready while it retries", async () => {
    const held = gate();
    let calls = 0;
    const { recovery } = recoveryWith([], {
      setup: () => (++calls === 1 ? Promise.reject(new Error("no quorum")) : held.done),
    });
    recovery.lost("stream S not found");
    await waitFor(() => calls === 2);
    expect(recovery.reason()).toBe("no quorum");
    held.open();
    await waitFor(() => recovery.reason() === undefined);
  });

  it("counts consumers that do not pull again as a failed attempt, and sets up again", async () => {
    let pulls = 0;
    const { recovery, lines, setups } = recoveryWith([], {
      resumed: () =>
        ++pulls === 1
          ? Promise.reject(new Error("consumer c did not pull again within 15000 ms"))
          : Promise.resolve(),
    });
    recovery.lost("stream S not found");
    await waitFor(() => setUpAgain(lines));
    expect(setups).toHaveLength(2);
    expect(said(lines)).toContain(
      "warn JetStream set-up failed: consumer c did not pull again within 15000 ms; retrying",
    );
  });

  it("waits twice as long before each retry, up to its cap", async () => {
    const { recovery, lines, setups } = recoveryWith(["a", "a", "a", "a"]);
    recovery.lost("stream S not found");
    await waitFor(() => setUpAgain(lines));
    const waits = setups.slice(1).map((at, i) => at - (setups[i] ?? at));
    // Timers never fire early (a millisecond of rounding aside); late is the machine's load.
    expect(waits).toHaveLength(4);
    [20, 40, 80, 80].forEach((least, i) => expect(waits[i]).toBeGreaterThanOrEqual(least - 2));
  });

  it("waits for deletions to settle before its first set-up", async () => {
    const held = gate();
    let settling = false;
    const { recovery, lines, setups } = recoveryWith([], {
      settle: async (pause) => {
        settling = true;
        await pause(10);
        await held.done;
      },
    });
    recovery.lost("stream S not found");
    await waitFor(() => settling);
    await sleep(50);
    expect(setups).toHaveLength(0);
    held.open();
    await waitFor(() => setUpAgain(lines));
    expect(setups).toHaveLength(1);
  });

  it("stops between retries: no set-up, no log, and no loss heeded after", async () => {
    const { recovery, lines, setups } = recoveryWith(["no quorum"], {
      retryMinMs: 60_000,
      retryMaxMs: 60_000,
    });
    const before = openTimers();
    recovery.lost("stream S not found");
    await waitFor(() => setups.length === 1 && lines.length === 2);
    expect(openTimers()).toBe(before + 1);
    recovery.stop();
    // Its pause holds the process open no more.
    expect(openTimers()).toBe(before);
    await sleep(100);
    recovery.lost("stream S not found");
    await sleep(100);
    expect(setups).toHaveLength(1);
    expect(lines).toHaveLength(2);
  });

  it("logs nothing when a set-up under way fails or ends after the stop", async () => {
    for (const ending of ["fails", "works"] as const) {
      const held = gate();
      let calls = 0;
      const { recovery, lines } = recoveryWith([], {
        setup: () => {
          calls++;
          return held.done;
        },
      });
      recovery.lost("stream S not found");
      await waitFor(() => calls === 1);
      recovery.stop();
      if (ending === "fails") held.fail(new Error("connection closed"));
      else held.open();
      await sleep(100);
      expect(calls, ending).toBe(1);
      expect(said(lines), ending).toHaveLength(1);
    }
  });

  it("tells the settling that it stopped, and wakes it from its pause", async () => {
    let stoppedSeen: boolean | undefined;
    const started = Date.now();
    const { recovery, setups } = recoveryWith([], {
      settle: async (pause, stopped) => {
        await pause(60_000);
        stoppedSeen = stopped();
      },
    });
    recovery.lost("stream S not found");
    recovery.stop();
    await waitFor(() => stoppedSeen !== undefined);
    expect(stoppedSeen).toBe(true);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(setups).toHaveLength(0);
  });

  it("tries again as soon as the connection is back when a set-up failed while it was down", async () => {
    let up = false;
    let back!: () => void;
    const returned = new Promise<void>((resolve) => (back = resolve));
    const link = { isConnected: () => up, connected: () => (up ? Promise.resolve() : returned) };
    // Pauses of a minute: only the connection coming back could bring the second set-up soon.
    const { recovery, lines, setups } = recoveryWith(["disconnected", "not yet"], {
      link,
      retryMinMs: 60_000,
      retryMaxMs: 60_000,
    });
    recovery.lost("stream S not found");
    await waitFor(() => setups.length === 1);
    await sleep(100);
    expect(setups).toHaveLength(1);
    up = true;
    back();
    await waitFor(() => setups.length === 2, { what: "the set-up once the connection is back" });
    expect(setUpAgain(lines)).toBe(false);
    recovery.stop();
  });
});
