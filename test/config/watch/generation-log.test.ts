import { describe, expect, it } from "vitest";
import {
  nextGeneration,
  type ConfigState,
  type LoadedFile,
} from "../../../src/config/watch/generation.js";
import { report, reportRewritten } from "../../../src/config/watch/generation-log.js";
import type { Problem } from "../../../src/config/types.js";
import { makeIntegration } from "../../support/integration.js";
import { capturingLogger } from "../../support/logs.js";

const AT = new Date("2026-01-01T00:00:00Z");

/** A valid file serving `names`; with `comment`, other bytes for the same integrations. */
function valid(file: string, names: string[], comment = ""): LoadedFile {
  const integrations = names.map((name, index) =>
    makeIntegration({ name, source: { file, line: index + 1, column: 1 } }),
  );
  return { file, hash: `${file}:${names.join(",")}${comment}`, integrations, problems: [] };
}

/** An invalid file with one problem per message, the n-th at line n+2, column n+5. */
function invalid(file: string, ...messages: string[]): LoadedFile {
  const problems = messages.map((message, n) => ({ file, line: n + 2, column: n + 5, message }));
  return { file, hash: `${file}:${messages.join("|")}`, integrations: [], problems };
}

const problem = (file: string, message: string): Problem => ({
  file,
  line: 0,
  column: 0,
  message,
});

const names = (count: number) =>
  Array.from({ length: count }, (_, n) => `n${String(n).padStart(2, "0")}`);

/** The lines `report` logs of each scan in turn, each scan's generation following the last. */
function reportedLines(scans: Array<{ files: LoadedFile[]; problems?: Problem[] }>): string[][] {
  let state: ConfigState | undefined;
  return scans.map(({ files, problems = [] }) => {
    const { log, lines } = capturingLogger();
    const step = nextGeneration(state, { files, problems }, AT);
    report(log, step, state, "/srv/integrations.d");
    state = step.state;
    return lines.map((l) => `${String(l.level)} ${String(l.msg)}`);
  });
}

describe("the generation line", () => {
  it.each([
    [19, "n17, n18), 0 changed"],
    [20, "n18, n19), 0 changed"],
    [21, "n18, n19, … 1 more), 0 changed"],
    [25, "n18, n19, … 5 more), 0 changed"],
  ])("of %i added integrations ends their list with %j", (count, end) => {
    const line = reportedLines([{ files: [valid("a.yaml", names(count))] }])[0]?.[0];
    expect(line).toContain(`: ${count} added (n00, n01, `);
    expect(line).toContain(end);
  });

  it("names each invalid file once, discovery's paths among them, in order", () => {
    const [lines] = reportedLines([
      {
        files: [valid("a.yaml", ["x"]), invalid("b.yaml", "first", "second")],
        problems: [problem("z-locked", "cannot be read")],
      },
    ]);
    const line = lines?.[0];
    expect(line).toContain(", 2 invalid (b.yaml, z-locked); digest ");
  });
});

describe("a file fixed", () => {
  it("is named as valid again, also when nothing in force changes", () => {
    const lines = reportedLines([
      { files: [valid("a.yaml", ["x"]), valid("b.yaml", ["y"])] },
      { files: [valid("a.yaml", ["x"]), invalid("b.yaml", "broken")] },
      { files: [valid("a.yaml", ["x"]), valid("b.yaml", ["y"])] },
    ]);
    expect(lines[1]?.[0]).not.toContain("valid again");
    expect(lines[2]?.[0]).toContain(
      ": 0 added, 0 changed, 0 removed, 0 invalid, 1 valid again (b.yaml); digest ",
    );
  });

  it("is not named when it was removed instead", () => {
    const lines = reportedLines([
      { files: [valid("a.yaml", ["x"]), invalid("b.yaml", "broken")] },
      { files: [valid("a.yaml", ["x"])] },
    ]);
    expect(lines[1]?.[0]).not.toContain("valid again");
  });
});

describe("the problems a generation logs", () => {
  it("are each file's and discovery's new ones, where they are, not again while unchanged", () => {
    const locked = problem("z-locked", "cannot be read");
    const lines = reportedLines([
      { files: [invalid("b.yaml", "first")], problems: [locked] },
      { files: [valid("a.yaml", ["x"]), invalid("b.yaml", "first")], problems: [locked] },
      { files: [valid("a.yaml", ["x"]), invalid("b.yaml", "other")], problems: [locked] },
    ]);
    expect(lines.map((scan) => scan.filter((l) => l.startsWith("warn ")))).toEqual([
      ["warn z-locked:0:0: cannot be read", "warn b.yaml:2:5: first"],
      [],
      ["warn b.yaml:2:5: other"],
    ]);
  });
});

describe("the line of files rewritten with nothing in force changed", () => {
  it.each([
    [20, "n19.yaml changed on disk"],
    [21, "n19.yaml, … 1 more changed on disk"],
  ])("of %i files ends their list with %j", (count, end) => {
    const files = names(count).map((n) => valid(`${n}.yaml`, [n]));
    const first = nextGeneration(undefined, { files, problems: [] }, AT);
    const again = files.map((f) => valid(f.file, [f.integrations[0]!.name], " # edited"));
    const step = nextGeneration(first.state, { files: again, problems: [] }, AT);
    const { log, lines } = capturingLogger();
    reportRewritten(log, step, "/srv/integrations.d");
    expect(lines.map((l) => l.msg)).toEqual([
      expect.stringMatching(/^config generation 1 stays: n00\.yaml, n01\.yaml, /),
    ]);
    expect(lines[0]?.msg).toContain(`${end} (rewritten, or removed having served nothing)`);
    expect(lines[0]?.rewritten).toHaveLength(Math.min(count, 20));
  });
});
