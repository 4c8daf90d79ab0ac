import { describe, expect, it } from "vitest";
import type { ConfigState } from "../../src/config/watch/generation.js";
import { createConfigInForce } from "../../src/daemon/config-in-force.js";
import { createLimiter } from "../../src/delivery/concurrency/limiter.js";
import { createMetrics } from "../../src/http/metrics.js";
import { makeIntegration } from "../support/integration.js";
import { IDLE_SOURCES } from "../support/metric-sources.js";

function generation(n: number, state: Partial<ConfigState> = {}): ConfigState {
  return {
    generation: n,
    at: new Date(),
    files: new Map(),
    integrations: [],
    problems: [],
    discoveryProblems: [],
    digest: "0123456789ab",
    ...state,
  };
}

describe("the configuration in force", () => {
  it("is nothing until the first generation, then serves its integrations", () => {
    const inForce = createConfigInForce({
      metrics: createMetrics(IDLE_SOURCES),
      limiter: createLimiter(),
    });
    expect(inForce.state()).toBeUndefined();
    expect(inForce.snapshot().byName.size).toBe(0);

    inForce.apply(generation(1, { integrations: [makeIntegration({ name: "crm" })] }));
    expect(inForce.state()?.generation).toBe(1);
    expect([...inForce.snapshot().byName.keys()]).toEqual(["crm"]);
    expect(inForce.snapshot().mayBeHeldBack("billing")).toBe(false);
  });

  it("says any name may be held back while a file whose names cannot be read is invalid", () => {
    const inForce = createConfigInForce({
      metrics: createMetrics(IDLE_SOURCES),
      limiter: createLimiter(),
    });
    const problem = { file: "a.yaml", line: 1, column: 1, message: "broken" };
    inForce.apply(generation(1, { problems: [problem] }));
    expect(inForce.snapshot().mayBeHeldBack("crm")).toBe(true);
    expect(inForce.problems()).toEqual([problem]);
  });

  it("says only the names an invalid file gives may be held back, from its problems and its valid documents", () => {
    const inForce = createConfigInForce({
      metrics: createMetrics(IDLE_SOURCES),
      limiter: createLimiter(),
    });
    const problem = {
      file: "b.yaml",
      line: 9,
      column: 3,
      message: "broken",
      integration: "billing",
    };
    const valid = makeIntegration({ name: "sales" });
    const file = {
      file: "b.yaml",
      hash: "h",
      problems: [problem],
      lastValid: [],
      lastValidHash: undefined,
      result: { file: "b.yaml", hash: "h", integrations: [valid], problems: [problem] },
    };
    inForce.apply(generation(1, { problems: [problem], files: new Map([["b.yaml", file]]) }));
    const held = inForce.snapshot();
    expect(["billing", "sales", "crm"].map((name) => held.mayBeHeldBack(name))).toEqual([
      true,
      true,
      false,
    ]);
  });

  it("reports a vanished folder beside the generation's problems, on the reload gauge too, until it is back", async () => {
    const metrics = createMetrics(IDLE_SOURCES);
    const inForce = createConfigInForce({ metrics, limiter: createLimiter() });
    const reload = async () =>
      /^hookswitch_config_last_reload_successful (\d)$/m.exec(
        await metrics.registry.metrics(),
      )?.[1];
    inForce.apply(generation(1, { integrations: [makeIntegration({ name: "crm" })] }));
    expect(await reload()).toBe("1");

    const gone = { file: "/etc/hookswitch/integrations.d", line: 0, column: 0, message: "gone" };
    inForce.folderGone(gone);
    expect(inForce.problems()).toEqual([gone]);
    expect(await reload()).toBe("0");
    // The last generation stays in force meanwhile.
    expect([...inForce.snapshot().byName.keys()]).toEqual(["crm"]);

    inForce.folderGone(undefined);
    expect(inForce.problems()).toEqual([]);
    expect(await reload()).toBe("1");
  });

  it("wakes the readers waiting for room, as a raised maxInFlight makes some", async () => {
    const limiter = createLimiter();
    const inForce = createConfigInForce({ metrics: createMetrics(IDLE_SOURCES), limiter });
    expect(limiter.acquire("crm", 1, Date.now())).toBe(true);
    const room = limiter.whenRoom("crm", 1);
    expect(room).toBeInstanceOf(Promise);
    inForce.apply(generation(2));
    await expect(room).resolves.toBeUndefined();
  });
});
