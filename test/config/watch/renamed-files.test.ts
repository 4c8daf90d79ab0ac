import { describe, expect, it } from "vitest";
import {
  nextGeneration,
  type ConfigState,
  type LoadedFile,
} from "../../../src/config/watch/generation.js";
import type { Problem } from "../../../src/config/types.js";
import { makeIntegration } from "../../support/integration.js";

const AT = new Date("2026-01-01T00:00:00Z");

/**
 * A file in a scan: `"x,y"` serves x and y; `"!k"` is invalid content k and `"?x,y"` invalid
 * content whose problems name x and y, each the same bytes wherever it is.
 */
function loaded(file: string, spec: string): LoadedFile {
  if (spec.startsWith("!")) {
    const problem: Problem = { file, line: 1, column: 1, message: "broken" };
    return { file, hash: spec, integrations: [], problems: [problem] };
  }
  if (spec.startsWith("?")) {
    const names = spec.slice(1).split(",");
    const problems = names.map((integration) => ({
      file,
      line: 1,
      column: 1,
      message: "broken",
      integration,
    }));
    return { file, hash: spec, integrations: [], problems };
  }
  const integrations = spec
    .split(",")
    .map((name, index) =>
      makeIntegration({ name, source: { file, line: index * 10 + 1, column: 1 } }),
    );
  return { file, hash: `${file}:${spec}`, integrations, problems: [] };
}

interface Case {
  title: string;
  /** The folder at each scan: path -> spec (see `loaded`). */
  scans: Array<Record<string, string>>;
  /** After the last scan: every served name and the file it is served from. */
  serving: Record<string, string>;
  /** After the last scan: each file's last valid hash (undefined: it serves nothing). */
  lastValidHash: Record<string, string | undefined>;
}

const cases: Case[] = [
  {
    title:
      "a file renamed while invalid keeps its version when an invalid copy that never was valid vanishes with it",
    scans: [
      { "a.yaml": "!k", "b.yaml": "x" },
      { "a.yaml": "!k", "b.yaml": "!k" },
      { "c.yaml": "!k" },
    ],
    serving: { x: "c.yaml" },
    lastValidHash: { "c.yaml": "b.yaml:x" },
  },
  {
    title:
      "of two renamed files made invalid at once that name one integration, only the first takes it",
    scans: [{ "a.yaml": "x" }, { "b.yaml": "?x", "c.yaml": "?x" }],
    serving: { x: "b.yaml" },
    lastValidHash: { "b.yaml": "a.yaml:x", "c.yaml": undefined },
  },
  {
    title:
      "a file renamed and made invalid at once takes its version from the file that served what it names",
    scans: [{ "a.yaml": "x", "b.yaml": "y" }, { "c.yaml": "?y" }],
    serving: { y: "c.yaml" },
    lastValidHash: { "c.yaml": "b.yaml:y" },
  },
  {
    title: "an invalid copy beside a file that turned invalid takes nothing from it",
    scans: [{ "a.yaml": "x" }, { "a.yaml": "!k" }, { "a.yaml": "!k", "b.yaml": "!k" }],
    serving: { x: "a.yaml" },
    lastValidHash: { "a.yaml": "a.yaml:x", "b.yaml": undefined },
  },
  {
    title: "two files made invalid out of one take each name only once",
    scans: [{ "a.yaml": "x,y" }, { "b.yaml": "?x", "c.yaml": "?x,y" }],
    serving: { x: "b.yaml", y: "c.yaml" },
    lastValidHash: { "b.yaml": "a.yaml:x,y", "c.yaml": "a.yaml:x,y" },
  },
  {
    title:
      "a file renamed while invalid keeps its own version, not that of a removed file it names",
    scans: [
      { "a.yaml": "x", "d.yaml": "z" },
      { "a.yaml": "?x,z", "d.yaml": "z" },
      { "c.yaml": "?x,z" },
    ],
    serving: { x: "c.yaml" },
    lastValidHash: { "c.yaml": "a.yaml:x" },
  },
];

const serving = (state: ConfigState) =>
  Object.fromEntries(state.integrations.map((i) => [i.name, i.source.file]));

describe("a generation after files were renamed while invalid", () => {
  it.each(cases)("$title", ({ scans, ...expected }) => {
    let state: ConfigState | undefined;
    for (const scan of scans) {
      const files = Object.entries(scan).map(([file, spec]) => loaded(file, spec));
      state = nextGeneration(state, { files, problems: [] }, AT).state;
    }
    expect(serving(state!)).toEqual(expected.serving);
    const hashes = [...state!.files.values()].map((f) => [f.file, f.lastValidHash]);
    expect(Object.fromEntries(hashes)).toEqual(expected.lastValidHash);
  });
});
