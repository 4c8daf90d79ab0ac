import { describe, expect, it } from "vitest";
import { invalidFileStandings } from "../../../src/config/watch/invalid-files.js";
import { nextGeneration, type LoadedFile } from "../../../src/config/watch/generation.js";
import { makeIntegration } from "../../support/integration.js";

const AT = new Date("2026-01-01T00:00:00Z");

/** A file as the loader gives it: the integrations of its valid documents, a problem per bad one. */
function file(path: string, valid: string[], broken: string[] = [], version = 1): LoadedFile {
  return {
    file: path,
    hash: `${path}:${valid.join()}:${broken.join()}:${version}`,
    integrations: valid.map((name) =>
      makeIntegration({ name, source: { file: path, line: 1, column: 1 } }),
    ),
    problems: broken.map((integration) => ({
      file: path,
      line: 5,
      column: 1,
      message: "broken",
      integration,
    })),
  };
}

const generation = (...steps: LoadedFile[][]) => {
  let state = undefined as ReturnType<typeof nextGeneration>["state"] | undefined;
  for (const files of steps) state = nextGeneration(state, { files, problems: [] }, AT).state;
  return state!;
};

describe("invalidFileStandings: what each file with problems holds back", () => {
  it("names a never-valid file's valid documents among those that do not run", () => {
    const state = generation([file("crm.yaml", ["crm-audit"], ["crm"]), file("ok.yaml", ["ok"])]);
    expect(invalidFileStandings(state)).toEqual(
      new Map([["crm.yaml", { notRunning: ["crm", "crm-audit"] }]]),
    );
  });

  it("tells a file that broke since apart: its last valid version runs, a new name does not", () => {
    const state = generation(
      [file("crm.yaml", ["crm"])],
      [file("crm.yaml", ["crm"], ["crm-new"], 2)],
    );
    expect(invalidFileStandings(state).get("crm.yaml")).toEqual({ notRunning: ["crm-new"] });
    expect(state.integrations.map((i) => i.name)).toEqual(["crm"]);
  });

  it("leaves out a name that runs from another file", () => {
    const state = generation([file("a.yaml", ["shared"]), file("b.yaml", ["other"], ["shared"])]);
    expect(invalidFileStandings(state).get("b.yaml")?.notRunning).toEqual(["other"]);
  });

  it("has nothing for valid files", () => {
    expect(invalidFileStandings(generation([file("ok.yaml", ["ok"])])).size).toBe(0);
  });
});
