/**
 * The status view behind `/` and `/api/integrations`, built from the configuration and the
 * delivery figures: what it shows of each integration, and of the replica.
 */
import { describe, expect, it } from "vitest";
import type { Problem } from "../../src/config/types.js";
import { DeliveryStats } from "../../src/delivery/stats.js";
import type { WaitingCounts } from "../../src/delivery/waiting-counts.js";
import { buildStatusView, type StatusInput } from "../../src/http/status.js";
import { makeIntegration } from "../support/integration.js";

function input(fields: Partial<StatusInput> = {}): StatusInput {
  return {
    generation: 3,
    configDigest: "0123456789ab",
    configFolder: "/srv/integrations.d",
    integrations: [makeIntegration()],
    problems: [],
    stats: new DeliveryStats(),
    deadLetters: 0,
    eventsPending: 0,
    waiting: null,
    notReadyReason: undefined,
    loaded: true,
    ...fields,
  };
}

const problem = (file: string, line: number): Problem => ({
  file,
  line,
  column: 1,
  message: "unknown key",
});

describe("the status view", () => {
  it("names the configuration in force: its generation, digest and folder", () => {
    expect(buildStatusView(input())).toMatchObject({
      generation: 3,
      configDigest: "0123456789ab",
      configFolder: "/srv/integrations.d",
    });
  });

  it("says until when an integration's deliveries are held back, as its receiver asked", () => {
    const integrations = ["held", "free"].map((name) => makeIntegration({ name }));
    const until = Date.parse("2026-12-03T10:00:00.000Z");
    const heldUntil = (name: string) => (name === "held" ? until : undefined);
    const view = buildStatusView(input({ integrations, heldUntil }));
    expect(view.integrations.map((i) => [i.name, i.heldUntil])).toEqual([
      ["free", null],
      ["held", "2026-12-03T10:00:00.000Z"],
    ]);
  });

  it("shows each integration's own delivery figures, and none for one without", () => {
    const stats = new DeliveryStats();
    const last = {
      at: "2026-12-03T10:00:00.000Z",
      outcome: "delivered" as const,
      status: 200,
      error: null,
    };
    stats.record("busy", { ...last, outcome: "retried", status: 503 });
    stats.record("busy", last);
    const integrations = ["busy", "quiet"].map((name) => makeIntegration({ name }));
    const view = buildStatusView(input({ integrations, stats }));
    expect(view.integrations.map((i) => [i.name, i.lastDelivery, i.counts])).toEqual([
      ["busy", last, { delivered: 1, retried: 1, "dead-lettered": 0, skipped: 0 }],
      ["quiet", null, { delivered: 0, retried: 0, "dead-lettered": 0, skipped: 0 }],
    ]);
  });

  it("names what an invalid file holds back, and marks its integrations as its last valid version", () => {
    const file = "integrations.d/crm.yaml";
    const standings = new Map([[file, { notRunning: ["crm-audit"] }]]);
    const view = buildStatusView(input({ problems: [problem(file, 2)], standings }));
    expect(view.invalidFiles.map((f) => [f.file, f.notRunning])).toEqual([[file, ["crm-audit"]]]);
    expect(view.integrations.map((i) => i.fileInvalid)).toEqual([true]);
    const other = buildStatusView(input({ problems: [problem("other.yaml", 2)] }));
    expect(other.invalidFiles.map((f) => f.notRunning)).toEqual([[]]);
  });

  it("lists the integrations by name", () => {
    const integrations = ["zeta", "alpha", "mid"].map((name) => makeIntegration({ name }));
    const view = buildStatusView(input({ integrations }));
    expect(view.integrations.map((i) => i.name)).toEqual(["alpha", "mid", "zeta"]);
  });

  it("shows a description and scope fed by references as written, never the secrets", () => {
    const integration = makeIntegration({
      description: "CRM of s3cret-account",
      scope: { account: "s3cret-account" },
      shown: {
        description: "CRM of ${env:ACCOUNT}",
        scope: { account: "${env:ACCOUNT}" },
        webhook: makeIntegration().webhook,
        secretHost: false,
      },
    });
    const [view] = buildStatusView(input({ integrations: [integration] })).integrations;
    expect(view).toMatchObject({
      description: "CRM of ${env:ACCOUNT}",
      scope: { account: "${env:ACCOUNT}" },
    });
    expect(JSON.stringify(view)).not.toContain("s3cret");
  });

  it.each<[string, ReadonlyMap<string, WaitingCounts> | null, WaitingCounts | null, number | null]>(
    [
      ["not read yet", null, null, null],
      [
        "read, none for it",
        new Map([["other", { retry: 4, parked: 1 }]]),
        { retry: 0, parked: 0 },
        5,
      ],
      [
        "read, some for it",
        new Map([["crm", { retry: 2, parked: 3 }]]),
        { retry: 2, parked: 3 },
        5,
      ],
    ],
  )(
    "shows deliveries waiting, %s, as %j for the integration and the total",
    (_, waiting, forIt, total) => {
      const view = buildStatusView(input({ waiting }));
      expect(view.integrations[0]?.waiting).toEqual(forIt);
      expect(view.deliveriesWaiting).toBe(total);
    },
  );

  it("lists by name the deliveries waiting for integrations not loaded, none that has run out", () => {
    const waiting = new Map([
      ["zeta", { retry: 1, parked: 0 }],
      ["crm", { retry: 2, parked: 3 }],
      ["alpha", { retry: 30, parked: 4 }],
      ["drained", { retry: 0, parked: 0 }],
      ["parked-only", { retry: 0, parked: 5 }],
    ]);
    expect(buildStatusView(input({ waiting })).waitingForUnloaded).toEqual([
      { integration: "alpha", retry: 30, parked: 4 },
      { integration: "parked-only", retry: 0, parked: 5 },
      { integration: "zeta", retry: 1, parked: 0 },
    ]);
    expect(buildStatusView(input({ waiting: null })).waitingForUnloaded).toEqual([]);
  });

  it.each([
    { case: "has problems", standings: [["integrations.d/crm.yaml", []]], invalid: true },
    { case: "is another file", standings: [["integrations.d/other.yaml", []]], invalid: false },
    { case: "has none, none known", standings: undefined, invalid: false },
  ] as const)(
    "marks an integration as running its file's last valid version when its file $case: $invalid",
    ({ standings, invalid }) => {
      const known =
        standings &&
        new Map(standings.map(([file, notRunning]) => [file, { notRunning: [...notRunning] }]));
      const view = buildStatusView(input({ ...(known ? { standings: known } : {}) }));
      expect(view.integrations.map((i) => i.fileInvalid)).toEqual([invalid]);
    },
  );

  it.each<[string, Problem[], boolean, { file: string; lines: number[] }[]]>([
    ["no problems", [], true, []],
    [
      "problems in two files",
      [problem("a.yaml", 2), problem("b.yaml", 7), problem("a.yaml", 9)],
      false,
      [
        { file: "a.yaml", lines: [2, 9] },
        { file: "b.yaml", lines: [7] },
      ],
    ],
  ])(
    "for %s, says the last reload succeeded: %s, and groups them by file",
    (_, problems, ok, files) => {
      const view = buildStatusView(input({ problems }));
      expect(view.lastReloadSuccessful).toBe(ok);
      expect(
        view.invalidFiles.map(({ file, problems }) => ({
          file,
          lines: problems.map((p) => p.line),
        })),
      ).toEqual(files);
    },
  );

  it.each([
    { case: "loaded, without problems", loaded: true, problems: [], said: true },
    { case: "loaded, with a problem", loaded: true, problems: [problem("a.yaml", 2)], said: false },
    { case: "not loaded yet", loaded: false, problems: [], said: null },
    {
      case: "not loaded yet, the folder missing",
      loaded: false,
      problems: [problem("/d", 0)],
      said: null,
    },
  ])("says whether the last reload succeeded, $case: $said", ({ loaded, problems, said }) => {
    expect(buildStatusView(input({ loaded, problems })).lastReloadSuccessful).toBe(said);
  });

  it.each([
    { reason: undefined, ready: true, shown: null },
    { reason: "not connected to NATS", ready: false, shown: "not connected to NATS" },
  ])("is ready: $ready, and says why not: $shown", ({ reason, ready, shown }) => {
    const view = buildStatusView(input({ notReadyReason: reason }));
    expect({ ready: view.ready, notReadyReason: view.notReadyReason }).toEqual({
      ready,
      notReadyReason: shown,
    });
  });
});
