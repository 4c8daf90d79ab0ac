import { describe, expect, it } from "vitest";
import {
  lastReloadSuccessful,
  nextGeneration,
  type ConfigState,
  type GenerationSummary,
  type LoadedFile,
} from "../../../src/config/watch/generation.js";
import { digestInForce } from "../../../src/config/digest.js";
import { DEFAULTS, type Integration, type Problem } from "../../../src/config/types.js";
import { makeIntegration } from "../../support/integration.js";

const AT = new Date("2026-01-01T00:00:00Z");

function integration(name: string, file: string, version: number, line = 1): Integration {
  return makeIntegration({
    name,
    source: { file, line, column: 1 },
    webhook: { url: `http://127.0.0.1:9/hook/v${version}`, maxInFlight: DEFAULTS.maxInFlight },
  });
}

/**
 * A file in a scan: `"x,y"` serves x and y (version 1), `"x@2"` is version 2 of x,
 * `"!"` is a file the loader found invalid, `"!k"` invalid content k wherever it is (the
 * same bytes under another path). `"#x"` is x behind a comment-only edit. `"?x,y"` is an
 * invalid file whose problems name x and y (a typo in documents that still give a name).
 */
function loaded(file: string, spec: string): LoadedFile {
  if (spec.startsWith("?")) {
    const names = spec.slice(1).split(",").filter(Boolean);
    const problems = names.map((integration) => ({
      file,
      line: 1,
      column: 1,
      message: "broken",
      integration,
    }));
    const unloaded = names.map((name, index) => ({ name, line: index * 10 + 1, column: 7 }));
    return { file, hash: `${file}:${spec}`, integrations: [], problems, unloaded };
  }
  if (spec.startsWith("!")) {
    const problem: Problem = { file, line: 1, column: 1, message: "broken" };
    const hash = spec === "!" ? `${file}:!` : spec;
    return { file, hash, integrations: [], problems: [problem] };
  }
  const names = spec.replace(/^#/, "").split(",").filter(Boolean);
  const integrations = names.map((entry, index) => {
    const [name = "", version = "1"] = entry.split("@");
    return integration(name, file, Number(version), index * 10 + 1);
  });
  return { file, hash: `${file}:${spec}`, integrations, problems: [] };
}

interface Step {
  files: Record<string, string>;
  discovery?: Problem[];
  /** Expected summary, except `generation` which `gen` gives. */
  counts: Omit<GenerationSummary, "generation">;
  gen: number;
  changed: boolean;
  /** Every served name and the file it comes from. */
  serving: Record<string, string>;
  /** Files with problems. */
  invalid?: string[];
  /** Files rewritten while nothing in force changed. */
  rewritten?: string[];
}

interface Case {
  title: string;
  steps: Step[];
}

const c = (
  added: number,
  changed: number,
  removed: number,
  invalid: number,
  unchanged: number,
) => ({
  added,
  changed,
  removed,
  invalid,
  unchanged,
});

/** The first step of many cases: a.yaml, valid, serves x. */
const A_SERVES_X: Step = {
  files: { "a.yaml": "x" },
  gen: 1,
  changed: true,
  counts: c(1, 0, 0, 0, 0),
  serving: { x: "a.yaml" },
};

const cases: Case[] = [
  {
    title: "a file added to the folder adds its integrations",
    steps: [
      A_SERVES_X,
      {
        files: { "a.yaml": "x", "b.yaml": "y,z" },
        gen: 2,
        changed: true,
        counts: c(2, 0, 0, 0, 1),
        serving: { x: "a.yaml", y: "b.yaml", z: "b.yaml" },
      },
    ],
  },
  {
    title: "a changed file changes its integration",
    steps: [
      A_SERVES_X,
      {
        files: { "a.yaml": "x@2" },
        gen: 2,
        changed: true,
        counts: c(0, 1, 0, 0, 0),
        serving: { x: "a.yaml" },
      },
    ],
  },
  {
    title: "a comment-only edit makes no generation, and the rewritten file is named",
    steps: [
      A_SERVES_X,
      {
        files: { "a.yaml": "#x" },
        gen: 1,
        changed: false,
        counts: c(0, 0, 0, 0, 1),
        serving: { x: "a.yaml" },
        rewritten: ["a.yaml"],
      },
      {
        files: { "a.yaml": "#x" },
        gen: 1,
        changed: false,
        counts: c(0, 0, 0, 0, 1),
        serving: { x: "a.yaml" },
      },
    ],
  },
  {
    title: "a file that served nothing and had no problem goes without a generation, and is named",
    steps: [
      {
        files: { "a.yaml": "x", "b.yaml": "" },
        gen: 1,
        changed: true,
        counts: c(1, 0, 0, 0, 0),
        serving: { x: "a.yaml" },
      },
      {
        files: { "a.yaml": "x" },
        gen: 1,
        changed: false,
        counts: c(0, 0, 0, 0, 1),
        serving: { x: "a.yaml" },
        rewritten: ["b.yaml"],
      },
    ],
  },
  {
    title: "a file that serves nothing and has no problem comes without a generation, and is named",
    steps: [
      A_SERVES_X,
      {
        files: { "a.yaml": "x", "b.yaml": "" },
        gen: 1,
        changed: false,
        counts: c(0, 0, 0, 0, 1),
        serving: { x: "a.yaml" },
        rewritten: ["b.yaml"],
      },
    ],
  },
  {
    title: "a broken file rewritten with the same problem makes no generation, and is named",
    steps: [
      A_SERVES_X,
      {
        files: { "a.yaml": "!" },
        gen: 2,
        changed: true,
        counts: c(0, 0, 0, 1, 1),
        serving: { x: "a.yaml" },
        invalid: ["a.yaml"],
      },
      {
        files: { "a.yaml": "!other bytes" },
        gen: 2,
        changed: false,
        counts: c(0, 0, 0, 1, 1),
        serving: { x: "a.yaml" },
        invalid: ["a.yaml"],
        rewritten: ["a.yaml"],
      },
    ],
  },
  {
    title: "a broken file keeps its last valid version and reports its problem until fixed",
    steps: [
      A_SERVES_X,
      {
        files: { "a.yaml": "!" },
        gen: 2,
        changed: true,
        counts: c(0, 0, 0, 1, 1),
        serving: { x: "a.yaml" },
        invalid: ["a.yaml"],
      },
      {
        files: { "a.yaml": "!" },
        gen: 2,
        changed: false,
        counts: c(0, 0, 0, 1, 1),
        serving: { x: "a.yaml" },
        invalid: ["a.yaml"],
      },
      {
        files: { "a.yaml": "x@3" },
        gen: 3,
        changed: true,
        counts: c(0, 1, 0, 0, 0),
        serving: { x: "a.yaml" },
      },
    ],
  },
  {
    title: "a file renamed while invalid keeps its last valid version under its new path",
    steps: [
      A_SERVES_X,
      {
        files: { "a.yaml": "!k" },
        gen: 2,
        changed: true,
        counts: c(0, 0, 0, 1, 1),
        serving: { x: "a.yaml" },
        invalid: ["a.yaml"],
      },
      {
        files: { "b.yaml": "!k" },
        gen: 3,
        changed: true,
        counts: c(0, 1, 0, 1, 0),
        serving: { x: "b.yaml" },
        invalid: ["b.yaml"],
      },
      {
        files: { "b.yaml": "x@2" },
        gen: 4,
        changed: true,
        counts: c(0, 1, 0, 0, 0),
        serving: { x: "b.yaml" },
      },
    ],
  },
  {
    title: "a file renamed and edited while invalid is new content, which serves nothing yet",
    steps: [
      A_SERVES_X,
      {
        files: { "a.yaml": "!k" },
        gen: 2,
        changed: true,
        counts: c(0, 0, 0, 1, 1),
        serving: { x: "a.yaml" },
        invalid: ["a.yaml"],
      },
      {
        files: { "b.yaml": "!m" },
        gen: 3,
        changed: true,
        counts: c(0, 0, 1, 1, 0),
        serving: {},
        invalid: ["b.yaml"],
      },
    ],
  },
  {
    title: "a file renamed and made invalid at once keeps the last valid version of what it names",
    steps: [
      {
        files: { "a.yaml": "x,y", "b.yaml": "z" },
        gen: 1,
        changed: true,
        counts: c(3, 0, 0, 0, 0),
        serving: { x: "a.yaml", y: "a.yaml", z: "b.yaml" },
      },
      {
        files: { "sub/moved.yaml": "?x", "b.yaml": "z" },
        gen: 2,
        changed: true,
        counts: c(0, 1, 1, 1, 1),
        serving: { x: "sub/moved.yaml", z: "b.yaml" },
        invalid: ["sub/moved.yaml"],
      },
      {
        files: { "sub/moved.yaml": "x@2", "b.yaml": "z" },
        gen: 3,
        changed: true,
        counts: c(0, 1, 0, 0, 1),
        serving: { x: "sub/moved.yaml", z: "b.yaml" },
      },
    ],
  },
  {
    title:
      "a file renamed and made invalid at once takes over its names from an invalid file that was there before",
    steps: [
      {
        files: { "a.yaml": "x", "b.yaml": "?x" },
        gen: 1,
        changed: true,
        counts: c(1, 0, 0, 1, 0),
        serving: { x: "a.yaml" },
        invalid: ["b.yaml"],
      },
      {
        files: { "b.yaml": "?x", "c.yaml": "?x" },
        gen: 2,
        changed: true,
        counts: c(0, 1, 0, 2, 0),
        serving: { x: "c.yaml" },
        invalid: ["b.yaml", "c.yaml"],
      },
    ],
  },
  {
    title: "a broken new file takes no name a valid file of the same scan takes",
    steps: [
      A_SERVES_X,
      {
        files: { "b.yaml": "?x", "c.yaml": "x" },
        gen: 2,
        changed: true,
        counts: c(0, 1, 0, 1, 0),
        serving: { x: "c.yaml" },
        invalid: ["b.yaml"],
      },
    ],
  },
  {
    title: "two files merged into one broken file keep both last valid versions",
    steps: [
      {
        files: { "a.yaml": "x", "b.yaml": "y" },
        gen: 1,
        changed: true,
        counts: c(2, 0, 0, 0, 0),
        serving: { x: "a.yaml", y: "b.yaml" },
      },
      {
        files: { "ab.yaml": "?x,y" },
        gen: 2,
        changed: true,
        counts: c(0, 2, 0, 1, 0),
        serving: { x: "ab.yaml", y: "ab.yaml" },
        invalid: ["ab.yaml"],
      },
    ],
  },
  {
    title: "a file renamed while invalid and copied at once: one path keeps its last valid version",
    steps: [
      A_SERVES_X,
      {
        files: { "a.yaml": "!k" },
        gen: 2,
        changed: true,
        counts: c(0, 0, 0, 1, 1),
        serving: { x: "a.yaml" },
        invalid: ["a.yaml"],
      },
      {
        files: { "b.yaml": "!k", "c.yaml": "!k" },
        gen: 3,
        changed: true,
        counts: c(0, 1, 0, 2, 0),
        serving: { x: "b.yaml" },
        invalid: ["b.yaml", "c.yaml"],
      },
    ],
  },
  {
    title: "integrations moved within their file are unchanged",
    steps: [
      {
        files: { "a.yaml": "x,y" },
        gen: 1,
        changed: true,
        counts: c(2, 0, 0, 0, 0),
        serving: { x: "a.yaml", y: "a.yaml" },
      },
      {
        files: { "a.yaml": "y,x" },
        gen: 1,
        changed: false,
        counts: c(0, 0, 0, 0, 2),
        serving: { x: "a.yaml", y: "a.yaml" },
        rewritten: ["a.yaml"],
      },
    ],
  },
  {
    title: "deleting a file that never was valid clears its problem",
    steps: [
      {
        files: { "a.yaml": "!", "b.yaml": "y" },
        gen: 1,
        changed: true,
        counts: c(1, 0, 0, 1, 0),
        serving: { y: "b.yaml" },
        invalid: ["a.yaml"],
      },
      {
        files: { "b.yaml": "y" },
        gen: 2,
        changed: true,
        counts: c(0, 0, 0, 0, 1),
        serving: { y: "b.yaml" },
      },
    ],
  },
  {
    title: "two new files with one name, scanned out of order: the first by path still wins",
    steps: [
      {
        files: { "b.yaml": "x", "a.yaml": "x" },
        gen: 1,
        changed: true,
        counts: c(1, 0, 0, 1, 0),
        serving: { x: "a.yaml" },
        invalid: ["b.yaml"],
      },
    ],
  },
  {
    title: "a copy of an invalid file beside it takes nothing from it",
    steps: [
      A_SERVES_X,
      {
        files: { "a.yaml": "!k", "b.yaml": "!k" },
        gen: 2,
        changed: true,
        counts: c(0, 0, 0, 2, 1),
        serving: { x: "a.yaml" },
        invalid: ["a.yaml", "b.yaml"],
      },
    ],
  },
  {
    title: "a file that never was valid contributes nothing",
    steps: [
      {
        files: { "a.yaml": "!", "b.yaml": "y" },
        gen: 1,
        changed: true,
        counts: c(1, 0, 0, 1, 0),
        serving: { y: "b.yaml" },
        invalid: ["a.yaml"],
      },
    ],
  },
  {
    title: "a deleted file removes its integrations, even while broken",
    steps: [
      {
        files: { "a.yaml": "x", "b.yaml": "y" },
        gen: 1,
        changed: true,
        counts: c(2, 0, 0, 0, 0),
        serving: { x: "a.yaml", y: "b.yaml" },
      },
      {
        files: { "a.yaml": "x", "b.yaml": "!" },
        gen: 2,
        changed: true,
        counts: c(0, 0, 0, 1, 2),
        serving: { x: "a.yaml", y: "b.yaml" },
        invalid: ["b.yaml"],
      },
      {
        files: { "a.yaml": "x" },
        gen: 3,
        changed: true,
        counts: c(0, 0, 1, 0, 1),
        serving: { x: "a.yaml" },
      },
    ],
  },
  {
    title: "a renamed file moves its integrations to the new path",
    steps: [
      A_SERVES_X,
      {
        files: { "b.yaml": "x" },
        gen: 2,
        changed: true,
        counts: c(0, 1, 0, 0, 0),
        serving: { x: "b.yaml" },
      },
    ],
  },
  {
    title: "a newcomer that reuses a name is refused and the holder keeps the name",
    steps: [
      {
        files: { "b.yaml": "x" },
        gen: 1,
        changed: true,
        counts: c(1, 0, 0, 0, 0),
        serving: { x: "b.yaml" },
      },
      {
        files: { "a.yaml": "x,y", "b.yaml": "x" },
        gen: 2,
        changed: true,
        counts: c(0, 0, 0, 1, 1),
        serving: { x: "b.yaml" },
        invalid: ["a.yaml"],
      },
      {
        files: { "a.yaml": "x,y", "b.yaml": "z" },
        gen: 3,
        changed: true,
        counts: c(2, 1, 0, 0, 0),
        serving: { x: "a.yaml", y: "a.yaml", z: "b.yaml" },
      },
    ],
  },
  {
    title: "two new files with one name: the first by path wins",
    steps: [
      {
        files: { "a.yaml": "x", "b.yaml": "x" },
        gen: 1,
        changed: true,
        counts: c(1, 0, 0, 1, 0),
        serving: { x: "a.yaml" },
        invalid: ["b.yaml"],
      },
    ],
  },
  {
    title: "a refused newcomer frees the other names it claimed",
    steps: [
      A_SERVES_X,
      {
        files: { "a.yaml": "x", "b.yaml": "x,y", "c.yaml": "y" },
        gen: 2,
        changed: true,
        counts: c(1, 0, 0, 1, 1),
        serving: { x: "a.yaml", y: "c.yaml" },
        invalid: ["b.yaml"],
      },
    ],
  },
  {
    title: "an edit that clashes with another file keeps the edited file's last valid version",
    steps: [
      {
        files: { "a.yaml": "x", "b.yaml": "y" },
        gen: 1,
        changed: true,
        counts: c(2, 0, 0, 0, 0),
        serving: { x: "a.yaml", y: "b.yaml" },
      },
      {
        files: { "a.yaml": "x", "b.yaml": "x,y@2" },
        gen: 2,
        changed: true,
        counts: c(0, 0, 0, 1, 2),
        serving: { x: "a.yaml", y: "b.yaml" },
        invalid: ["b.yaml"],
      },
    ],
  },
  {
    title: "a refused file falling back takes back a name it had dropped from a newcomer",
    steps: [
      {
        files: { "c.yaml": "x,q" },
        gen: 1,
        changed: true,
        counts: c(2, 0, 0, 0, 0),
        serving: { x: "c.yaml", q: "c.yaml" },
      },
      {
        files: { "a.yaml": "w", "b.yaml": "q", "c.yaml": "x,w" },
        gen: 2,
        changed: true,
        counts: c(1, 0, 0, 2, 2),
        serving: { w: "a.yaml", x: "c.yaml", q: "c.yaml" },
        invalid: ["b.yaml", "c.yaml"],
      },
    ],
  },
  {
    title:
      "refusals that chain through three files settle with each refused file on its last valid version",
    steps: [
      {
        files: { "a.yaml": "x", "b.yaml": "w", "d.yaml": "o" },
        gen: 1,
        changed: true,
        counts: c(3, 0, 0, 0, 0),
        serving: { x: "a.yaml", w: "b.yaml", o: "d.yaml" },
      },
      {
        // a.yaml takes d.yaml's o and is refused; falling back to x, it takes x back from
        // b.yaml, which falls back to w and takes it back from the newcomer c.yaml.
        files: { "a.yaml": "o", "b.yaml": "x", "c.yaml": "w", "d.yaml": "o" },
        gen: 2,
        changed: true,
        counts: c(0, 0, 0, 3, 3),
        serving: { x: "a.yaml", w: "b.yaml", o: "d.yaml" },
        invalid: ["a.yaml", "b.yaml", "c.yaml"],
      },
    ],
  },
  {
    title: "a file renamed while invalid keeps its names from a newcomer of the same scan",
    steps: [
      A_SERVES_X,
      {
        files: { "a.yaml": "!k" },
        gen: 2,
        changed: true,
        counts: c(0, 0, 0, 1, 1),
        serving: { x: "a.yaml" },
        invalid: ["a.yaml"],
      },
      {
        files: { "b.yaml": "!k", "c.yaml": "x" },
        gen: 3,
        changed: true,
        counts: c(0, 1, 0, 2, 0),
        serving: { x: "b.yaml" },
        invalid: ["b.yaml", "c.yaml"],
      },
    ],
  },
  {
    title: "one file naming two integrations alike is refused",
    steps: [
      {
        files: { "a.yaml": "x,x" },
        gen: 1,
        changed: true,
        counts: c(0, 0, 0, 1, 0),
        serving: {},
        invalid: ["a.yaml"],
      },
    ],
  },
  {
    title: "files under a folder that cannot be read keep their last valid versions",
    steps: [
      {
        files: { "a.yaml": "x", "locked/c.yaml": "y", "locked/deep/d.yaml": "z" },
        gen: 1,
        changed: true,
        counts: c(3, 0, 0, 0, 0),
        serving: { x: "a.yaml", y: "locked/c.yaml", z: "locked/deep/d.yaml" },
      },
      {
        files: { "a.yaml": "x" },
        discovery: [{ file: "locked", line: 1, column: 1, message: "folder cannot be read" }],
        gen: 2,
        changed: true,
        counts: c(0, 0, 0, 1, 3),
        serving: { x: "a.yaml", y: "locked/c.yaml", z: "locked/deep/d.yaml" },
        invalid: ["locked"],
      },
      {
        files: { "a.yaml": "x", "locked/c.yaml": "y" },
        gen: 3,
        changed: true,
        counts: c(0, 0, 1, 0, 2),
        serving: { x: "a.yaml", y: "locked/c.yaml" },
      },
    ],
  },
  {
    title:
      "a file in a folder whose name only begins like an unreadable folder's is removed, not kept",
    steps: [
      {
        files: { "a.yaml": "x", "locked/c.yaml": "y", "locked2/d.yaml": "z" },
        gen: 1,
        changed: true,
        counts: c(3, 0, 0, 0, 0),
        serving: { x: "a.yaml", y: "locked/c.yaml", z: "locked2/d.yaml" },
      },
      {
        files: { "a.yaml": "x" },
        discovery: [{ file: "locked", line: 1, column: 1, message: "folder cannot be read" }],
        gen: 2,
        changed: true,
        counts: c(0, 0, 1, 1, 2),
        serving: { x: "a.yaml", y: "locked/c.yaml" },
        invalid: ["locked"],
      },
    ],
  },
  {
    title:
      "a link that cannot be followed keeps its file's last valid version, a neighbour's name does not",
    steps: [
      {
        files: { "a.yaml": "x", "lockedx.yaml": "y" },
        gen: 1,
        changed: true,
        counts: c(2, 0, 0, 0, 0),
        serving: { x: "a.yaml", y: "lockedx.yaml" },
      },
      {
        files: {},
        discovery: [{ file: "a.yaml", line: 1, column: 1, message: "broken symbolic link" }],
        gen: 2,
        changed: true,
        counts: c(0, 0, 1, 1, 1),
        serving: { x: "a.yaml" },
        invalid: ["a.yaml"],
      },
    ],
  },
  {
    title: "an integration renamed in its file is one removed and one added",
    steps: [
      A_SERVES_X,
      {
        files: { "a.yaml": "y" },
        gen: 2,
        changed: true,
        counts: c(1, 0, 1, 0, 0),
        serving: { y: "a.yaml" },
      },
    ],
  },
  {
    title: "one integration added while another changes makes one generation of both",
    steps: [
      A_SERVES_X,
      {
        files: { "a.yaml": "x@2", "b.yaml": "y" },
        gen: 2,
        changed: true,
        counts: c(1, 1, 0, 0, 0),
        serving: { x: "a.yaml", y: "b.yaml" },
      },
    ],
  },
  {
    title: "files under two folders that cannot be read each keep their last valid versions",
    steps: [
      {
        files: { "a.yaml": "x", "one/c.yaml": "y", "two/d.yaml": "z" },
        gen: 1,
        changed: true,
        counts: c(3, 0, 0, 0, 0),
        serving: { x: "a.yaml", y: "one/c.yaml", z: "two/d.yaml" },
      },
      {
        files: { "a.yaml": "x" },
        discovery: [
          { file: "one", line: 1, column: 1, message: "folder cannot be read" },
          { file: "two", line: 1, column: 1, message: "folder cannot be read" },
        ],
        gen: 2,
        changed: true,
        counts: c(0, 0, 0, 2, 3),
        serving: { x: "a.yaml", y: "one/c.yaml", z: "two/d.yaml" },
        invalid: ["one", "two"],
      },
    ],
  },
  {
    title: "an unchanged rescan makes no new generation",
    steps: [
      A_SERVES_X,
      {
        files: { "a.yaml": "x" },
        gen: 1,
        changed: false,
        counts: c(0, 0, 0, 0, 1),
        serving: { x: "a.yaml" },
      },
    ],
  },
  {
    title: "discovery problems count as invalid and a repeated one makes no new generation",
    steps: [
      {
        files: { "a.yaml": "x" },
        discovery: [{ file: "sub", line: 0, column: 0, message: "cannot read folder" }],
        gen: 1,
        changed: true,
        counts: c(1, 0, 0, 1, 0),
        serving: { x: "a.yaml" },
        invalid: ["sub"],
      },
      {
        files: { "a.yaml": "x" },
        discovery: [{ file: "sub", line: 0, column: 0, message: "cannot read folder" }],
        gen: 1,
        changed: false,
        counts: c(0, 0, 0, 1, 1),
        serving: { x: "a.yaml" },
        invalid: ["sub"],
      },
      {
        files: { "a.yaml": "x" },
        gen: 2,
        changed: true,
        counts: c(0, 0, 0, 0, 1),
        serving: { x: "a.yaml" },
      },
    ],
  },
];

const serving = (state: ConfigState) =>
  Object.fromEntries(state.integrations.map((i) => [i.name, i.source.file]));

describe("nextGeneration", () => {
  it.each(cases)("$title", ({ steps }) => {
    let state: ConfigState | undefined;
    for (const step of steps) {
      const files = Object.entries(step.files).map(([file, spec]) => loaded(file, spec));
      const result = nextGeneration(state, { files, problems: step.discovery ?? [] }, AT);
      if (result.rewritten.length === 0 && !result.changed) expect(result.state).toBe(state);
      expect(result.rewritten).toEqual(step.rewritten ?? []);
      state = result.state;
      expect(result.changed).toBe(step.changed);
      expect(result.summary).toEqual({ generation: step.gen, ...step.counts });
      expect(serving(state)).toEqual(step.serving);
      const invalid = [...new Set(state.problems.map((p) => p.file))].sort();
      expect(invalid).toEqual(step.invalid ?? []);
      expect(lastReloadSuccessful(state)).toBe(invalid.length === 0);
    }
  });

  it("gives each generation, and a file rewritten without one, the digest of the files in force", () => {
    const scan = (spec: string) => ({ files: [loaded("a.yaml", spec)], problems: [] });
    const first = nextGeneration(undefined, scan("x"), AT);
    const changed = nextGeneration(first.state, scan("x@2"), AT);
    const rewritten = nextGeneration(changed.state, scan("#x@2"), AT);
    const steps = [first, changed, rewritten];
    expect(steps.map((step) => step.state.generation)).toEqual([1, 2, 2]);
    for (const step of steps) {
      expect(step.state.digest).toBe(digestInForce(undefined, step.state.files.values()));
    }
    expect(new Set(steps.map((step) => step.state.digest)).size).toBe(3);
  });

  it("applies a burst of 200 new files as one generation", () => {
    const first = nextGeneration(undefined, { files: [loaded("a.yaml", "x")], problems: [] }, AT);
    const burst = Array.from({ length: 200 }, (_, n) => loaded(`f${n}.yaml`, `i${n}`));
    const next = nextGeneration(
      first.state,
      { files: [loaded("a.yaml", "x"), ...burst], problems: [] },
      AT,
    );
    expect(next.summary).toEqual({ generation: 2, ...c(200, 0, 0, 0, 1) });
    expect(next.state.integrations).toHaveLength(201);
  });

  it("names the other file and the newcomer's position in a duplicate-name problem", () => {
    const files = [loaded("a.yaml", "x"), loaded("b.yaml", "y,x")];
    const { state } = nextGeneration(undefined, { files, problems: [] }, AT);
    expect(state.problems).toEqual([
      {
        file: "b.yaml",
        line: 11,
        column: 1,
        integration: "x",
        message:
          'duplicate name "x": already defined in a.yaml:1:1; names must be unique across b.yaml and a.yaml',
      },
    ]);
  });

  it("names the first of three integrations named alike in each duplicate-name problem", () => {
    const { state } = nextGeneration(
      undefined,
      { files: [loaded("a.yaml", "x,x,x")], problems: [] },
      AT,
    );
    expect(state.problems.map((p) => [p.line, p.message])).toEqual(
      [11, 21].map((line) => [
        line,
        'duplicate name "x": already defined in a.yaml:1:1; names must be unique across a.yaml and a.yaml',
      ]),
    );
  });

  it("tells an invalid file whose name another file serves so, before it is mended", () => {
    const files = [loaded("a.yaml", "x"), loaded("b.yaml", "?y,x")];
    const { state } = nextGeneration(undefined, { files, problems: [] }, AT);
    expect(state.problems.filter((p) => p.message !== "broken")).toEqual([
      {
        file: "b.yaml",
        line: 11,
        column: 7,
        integration: "x",
        message:
          'duplicate name "x": already defined in a.yaml:1:1; names must be unique across b.yaml and a.yaml',
      },
    ]);
    expect(serving(state)).toEqual({ x: "a.yaml" });
  });

  it("says nothing of an invalid file's name that it serves itself from its last valid version", () => {
    const first = nextGeneration(undefined, { files: [loaded("a.yaml", "x")], problems: [] }, AT);
    const broken = [loaded("a.yaml", "?x"), loaded("b.yaml", "y")];
    const { state } = nextGeneration(first.state, { files: broken, problems: [] }, AT);
    expect(state.problems.map((p) => p.message)).toEqual(["broken"]);
    expect(serving(state)).toEqual({ x: "a.yaml", y: "b.yaml" });
  });

  it("counts a file with two problems as one invalid file", () => {
    const broken: LoadedFile = {
      file: "a.yaml",
      hash: "h",
      integrations: [],
      problems: [1, 2].map((line) => ({ file: "a.yaml", line, column: 1, message: "broken" })),
    };
    const { summary } = nextGeneration(undefined, { files: [broken], problems: [] }, AT);
    expect(summary.invalid).toBe(1);
  });

  it("gives a new invalid file nothing of a valid file that vanished with the same bytes", () => {
    // Same bytes, valid at one path and not at another (a relative ${file:} reference).
    const valid = { ...loaded("a.yaml", "x"), hash: "same" };
    const first = nextGeneration(undefined, { files: [valid], problems: [] }, AT);
    const moved = { ...loaded("sub/a.yaml", "!"), hash: "same" };
    const next = nextGeneration(first.state, { files: [moved], problems: [] }, AT);
    expect(next.state.integrations).toEqual([]);
    expect(next.summary).toMatchObject({ removed: 1, invalid: 1 });
  });

  it("keeps a renamed and broken file's valid documents running, not only those its problems name", () => {
    const first = nextGeneration(undefined, { files: [loaded("a.yaml", "x,y")], problems: [] }, AT);
    // git mv a.yaml moved.yaml plus an edit that breaks y's document; x's still loads.
    const moved: LoadedFile = {
      ...loaded("moved.yaml", "?y"),
      integrations: [integration("x", "moved.yaml", 1)],
    };
    const next = nextGeneration(first.state, { files: [moved], problems: [] }, AT);
    expect(serving(next.state)).toEqual({ x: "moved.yaml", y: "moved.yaml" });
    expect(next.summary).toMatchObject({ removed: 0, invalid: 1 });
  });

  it("keeps the last valid version's hash on a broken file so a stale version can be shown", () => {
    const first = nextGeneration(undefined, { files: [loaded("a.yaml", "x")], problems: [] }, AT);
    const broken = nextGeneration(
      first.state,
      { files: [loaded("a.yaml", "!")], problems: [] },
      AT,
    );
    const file = broken.state.files.get("a.yaml");
    expect(file?.hash).toBe("a.yaml:!");
    expect(file?.lastValidHash).toBe("a.yaml:x");
    expect(file?.lastValid.map((i) => i.name)).toEqual(["x"]);
  });
});
