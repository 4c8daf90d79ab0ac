import { describe, expect, it } from "vitest";
import { heldBackNames, type ConfigState } from "../../src/config/watch/generation.js";
import type { Problem } from "../../src/config/types.js";
import { buildSnapshot } from "../../src/delivery/snapshot.js";
import type { WaitingCounts } from "../../src/delivery/waiting-counts.js";
import {
  withdrawnWhileWaiting,
  warnOfWithdrawnWhileWaiting,
  type InForce,
} from "../../src/daemon/withdrawn-while-waiting.js";
import { makeIntegration } from "../support/integration.js";
import { capturingLogger } from "../support/logs.js";

/** A generation running `names`; `problems` belong to one invalid file, broken.yaml. */
function generation(
  names: string[],
  problems: Problem[] = [],
  disabled: string[] = [],
): ConfigState {
  const broken = {
    file: "broken.yaml",
    hash: "h",
    problems,
    lastValid: [],
    lastValidHash: undefined,
    result: { file: "broken.yaml", hash: "h", integrations: [], problems },
  };
  return {
    generation: 1,
    at: new Date(0),
    files: new Map(problems.length > 0 ? [["broken.yaml", broken]] : []),
    integrations: [
      ...names.map((name) => makeIntegration({ name })),
      ...disabled.map((name) => makeIntegration({ name, enabled: false })),
    ],
    problems,
    discoveryProblems: [],
    digest: "0123456789ab",
  };
}

/** `state` in force, as the daemon's snapshot of it answers for held-back names. */
const inForce = (state: ConfigState): InForce => ({
  integrations: state.integrations,
  mayBeHeldBack: buildSnapshot(state.integrations, heldBackNames(state)).mayBeHeldBack,
});

const waits = (entries: Record<string, WaitingCounts>) => new Map(Object.entries(entries));
const problem = (integration?: string): Problem => ({
  file: "broken.yaml",
  line: 1,
  column: 1,
  message: "broken",
  ...(integration ? { integration } : {}),
});

describe("integrations removed or disabled while deliveries wait for them", () => {
  const cases: {
    name: string;
    before: ConfigState | undefined;
    now: ConfigState;
    waiting: Map<string, WaitingCounts> | null;
    expected: string[];
  }[] = [
    {
      name: "a renamed integration with retries waiting is found under its old name",
      before: generation(["crm", "billing"]),
      now: generation(["crm-eu", "billing"]),
      waiting: waits({ crm: { retry: 3, parked: 0 }, billing: { retry: 1, parked: 0 } }),
      expected: ["crm removed"],
    },
    {
      name: "parked deliveries count as waiting too",
      before: generation(["crm"]),
      now: generation([]),
      waiting: waits({ crm: { retry: 0, parked: 2 } }),
      expected: ["crm removed"],
    },
    {
      name: "a removed integration nothing waits for is not",
      before: generation(["crm"]),
      now: generation([]),
      waiting: waits({ crm: { retry: 0, parked: 0 } }),
      expected: [],
    },
    {
      name: "an integration still in force is not, whatever waits",
      before: generation(["crm"]),
      now: generation(["crm"]),
      waiting: waits({ crm: { retry: 5, parked: 5 } }),
      expected: [],
    },
    {
      name: "a name an invalid file gives is not: its deliveries wait while the file is fixed",
      before: generation(["crm"]),
      now: generation([], [problem("crm")]),
      waiting: waits({ crm: { retry: 3, parked: 0 } }),
      expected: [],
    },
    {
      name: "a name no invalid file gives is, while another file's problems name theirs",
      before: generation(["crm", "billing"]),
      now: generation([], [problem("crm")]),
      waiting: waits({ crm: { retry: 3, parked: 0 }, billing: { retry: 1, parked: 0 } }),
      expected: ["billing removed"],
    },
    {
      name: "no name is while a file whose names cannot be read is invalid",
      before: generation(["crm"]),
      now: generation([], [problem()]),
      waiting: waits({ crm: { retry: 3, parked: 0 } }),
      expected: [],
    },
    {
      name: "a disabled integration with retries waiting is found",
      before: generation(["crm"]),
      now: generation([], [], ["crm"]),
      waiting: waits({ crm: { retry: 2, parked: 1 } }),
      expected: ["crm disabled"],
    },
    {
      name: "one disabled already is not, whether it stays so or goes",
      before: generation(["billing"], [], ["crm", "sales"]),
      now: generation(["billing"], [], ["crm"]),
      waiting: waits({ crm: { retry: 2, parked: 0 }, sales: { retry: 1, parked: 0 } }),
      expected: [],
    },
    {
      name: "nothing is before the first count of the delivery stream",
      before: generation(["crm"]),
      now: generation([]),
      waiting: null,
      expected: [],
    },
    {
      name: "nothing is at the first generation",
      before: undefined,
      now: generation([]),
      waiting: waits({ crm: { retry: 3, parked: 0 } }),
      expected: [],
    },
  ];

  it.each(cases)("$name", ({ before, now, waiting, expected }) => {
    const found = withdrawnWhileWaiting(before, inForce(now), waiting);
    expect(found.map((w) => `${w.integration} ${w.how}`)).toEqual(expected);
  });

  it("warns once per integration, with its counts and what becomes of them", () => {
    const { log, lines } = capturingLogger();
    const waiting = waits({ crm: { retry: 1, parked: 2 }, billing: { retry: 4, parked: 0 } });
    const now = inForce(generation([], [], ["billing"]));
    warnOfWithdrawnWhileWaiting(log, generation(["crm", "billing"]), now, waiting);
    expect(lines.map(({ level, integration }) => [level, integration])).toEqual([
      ["warn", "crm"],
      ["warn", "billing"],
    ]);
    expect(lines[0]?.msg).toBe(
      "integration crm was removed (or renamed) while 1 retry and 2 parked deliveries waited " +
        "for it (as last counted, up to 10s ago): they are skipped once their records are " +
        "5m old, unless a file names crm again by then",
    );
    expect(lines[1]?.msg).toBe(
      "integration billing was disabled while 4 retries and 0 parked deliveries waited for it " +
        "(as last counted, up to 10s ago): they are skipped when their turn comes, unless " +
        "billing is enabled again by then",
    );
  });
});
