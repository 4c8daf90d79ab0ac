import { describe, expect, it } from "vitest";
import {
  keepsSubjectIndex,
  subjectIndexWarning,
  tellsBatchCompleted,
} from "../../src/nats/server-version.js";

describe("what a nats-server does, by its version", () => {
  it.each([
    ["2.9.10", false, false],
    ["2.9.25", false, false],
    ["2.10.0", true, false],
    ["2.10.26", true, false],
    ["2.10.27", true, true],
    ["2.10.100", true, true],
    ["2.11.0", true, true],
    ["2.11.4", true, true],
    ["3.0.0", true, true],
    ["1.4.1", false, false],
    ["2.10", true, false],
    ["2.10.27-RC.1", true, true],
    ["v2.11.0", false, false],
    ["", false, false],
    [undefined, false, false],
  ])(
    "nats-server %s ends a pull at its count with a status: %s; keeps its subject index: %s",
    (version, tells, keeps) => {
      expect(tellsBatchCompleted(version)).toBe(tells);
      expect(keepsSubjectIndex(version)).toBe(keeps);
    },
  );

  it("warns at start of a server that may pass messages by, naming it and the release to run", () => {
    expect(subjectIndexWarning("2.10.27")).toBeUndefined();
    expect(subjectIndexWarning("2.9.10")).toMatch(
      /^nats-server 2\.9\.10 is older than 2\.10\.27: .* Upgrade nats-server to 2\.10\.27 or later$/,
    );
    expect(subjectIndexWarning(undefined)).toMatch(/^nats-server \(version unknown\) is older/);
  });
});
