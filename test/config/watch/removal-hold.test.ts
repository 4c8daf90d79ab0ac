import { describe, expect, it } from "vitest";
import { nextGeneration, type LoadedFile } from "../../../src/config/watch/generation.js";
import { createRemovalHold } from "../../../src/config/watch/removal-hold.js";
import type { Integration } from "../../../src/config/types.js";

const AT = new Date("2026-01-01T00:00:00Z");

/** A valid file serving `names` (only what the hold looks at is filled in). */
function file(path: string, ...names: string[]): LoadedFile {
  const integrations = names.map(
    (name) => ({ name, source: { file: path, line: 1, column: 1 } }) as Integration,
  );
  return { file: path, hash: `${path}:${names.join()}`, integrations, problems: [] };
}

const before = nextGeneration(
  undefined,
  { files: [file("a.yaml", "x"), file("b.yaml", "y")], problems: [] },
  AT,
).state;

const timing = { quietMs: 600, boundMs: 5_000, maxWaitMs: 1_000 };

/** What the hold gives for a scan that found only `files`, the last event at 1,000. */
function held(files: LoadedFile[], now: number, force = false) {
  const hold = createRemovalHold(timing);
  hold.event(1_000);
  const { files: kept, held: paths, recheckAt, defer } = hold.apply(before, files, now, force);
  return { kept: kept.map((f) => f.file).sort(), paths, recheckAt, defer };
}

describe("createRemovalHold", () => {
  it.each([
    {
      title:
        "carries a missing file over while the folder is not quiet, and says when to look again",
      files: [file("a.yaml", "x")],
      now: 1_200,
      expected: { kept: ["a.yaml", "b.yaml"], paths: ["b.yaml"], recheckAt: 1_600, defer: true },
    },
    {
      title: "lets the removal through once the folder has been quiet long enough",
      files: [file("a.yaml", "x")],
      now: 1_600,
      expected: { kept: ["a.yaml"], paths: [], recheckAt: undefined, defer: false },
    },
    {
      title: "lets a rename through at once: another file names what the missing one served",
      files: [file("a.yaml", "x"), file("c.yaml", "y")],
      now: 1_200,
      expected: { kept: ["a.yaml", "c.yaml"], paths: [], recheckAt: undefined, defer: false },
    },
  ])("$title", ({ files, now, expected }) => {
    expect(held(files, now)).toEqual(expected);
  });

  it.each([
    {
      title: "waits for a removal when that applies the first change exactly maxWaitMs after it",
      steps: [{ events: [1_000, 1_400], files: [file("a.yaml", "x")], now: 1_500 }],
      expected: { held: ["b.yaml"], recheckAt: 2_000, defer: true },
    },
    {
      title:
        "does not wait for a removal past maxWaitMs after the scan began, when its event came during the scan",
      steps: [{ events: [1_500], files: [file("a.yaml", "x")], now: 1_000 }],
      expected: { held: ["b.yaml"], recheckAt: 2_100, defer: false },
    },
    {
      title: "counts an event that came during the last scan as unanswered since that scan began",
      steps: [
        { events: [1_000, 1_300], files: [file("a.yaml", "x"), file("b.yaml", "y")], now: 1_200 },
        { events: [1_800], files: [file("a.yaml", "x")], now: 1_900 },
      ],
      expected: { held: ["b.yaml"], recheckAt: 2_400, defer: false },
    },
  ])("$title", ({ steps, expected }) => {
    const hold = createRemovalHold(timing);
    let scan: ReturnType<typeof hold.apply> | undefined;
    for (const { events, files, now } of steps) {
      for (const at of events) hold.event(at);
      scan = hold.apply(before, files, now, false);
    }
    expect(scan).toMatchObject(expected);
  });

  it("makes the generation of a long burst on time, holding only its removal", () => {
    const hold = createRemovalHold(timing);
    for (let at = 1_000; at <= 1_950; at += 50) hold.event(at);
    const scan = hold.apply(before, [file("a.yaml", "x")], 2_000, false);
    expect(scan).toMatchObject({ held: ["b.yaml"], recheckAt: 2_550, defer: false });
  });

  it("lets every removal through when forced (start, SIGHUP)", () => {
    expect(held([file("a.yaml", "x")], 1_200, true).kept).toEqual(["a.yaml"]);
  });

  it("holds a removal no longer than the bound while events never pause", () => {
    const hold = createRemovalHold(timing);
    const scan = [file("a.yaml", "x")];
    const heldAt: number[] = [];
    for (let now = 1_000; now <= 10_000; now += 1_000) {
      hold.event(now - 100);
      if (hold.apply(before, scan, now, false).held.length === 0) break;
      heldAt.push(now);
    }
    expect(heldAt).toEqual([1_000, 2_000, 3_000, 4_000, 5_000]);
  });

  it("holds a removal when only a file that was there unchanged names what it served (a refused duplicate)", () => {
    const withDuplicate = nextGeneration(
      before,
      { files: [file("a.yaml", "x"), file("b.yaml", "y"), file("c.yaml", "y")], problems: [] },
      AT,
    ).state;
    expect(withDuplicate.files.get("b.yaml")?.lastValid.map((i) => i.name)).toEqual(["y"]);
    const hold = createRemovalHold(timing);
    hold.event(1_000);
    const scan = hold.apply(
      withDuplicate,
      [file("a.yaml", "x"), file("c.yaml", "y")],
      1_200,
      false,
    );
    expect(scan.held).toEqual(["b.yaml"]);
  });

  it("lets a file renamed while invalid through at once: the new path holds its bytes", () => {
    const broken = (path: string): LoadedFile => ({
      file: path,
      hash: "same bytes",
      integrations: [],
      problems: [{ file: path, line: 1, column: 1, message: "does not parse" }],
    });
    const withBroken = nextGeneration(
      before,
      { files: [file("a.yaml", "x"), broken("b.yaml")], problems: [] },
      AT,
    ).state;
    expect(withBroken.files.get("b.yaml")?.lastValid.map((i) => i.name)).toEqual(["y"]);
    const hold = createRemovalHold(timing);
    hold.event(1_000);
    const scan = hold.apply(withBroken, [file("a.yaml", "x"), broken("c.yaml")], 1_200, false);
    expect(scan.held).toEqual([]);
  });

  it("never holds a file that served nothing (it never was valid)", () => {
    const broken: LoadedFile = {
      ...file("c.yaml"),
      problems: [{ file: "c.yaml", line: 1, column: 1, message: "broken" }],
    };
    const withBroken = nextGeneration(
      before,
      { files: [...before.files.values()].map((f) => f.result).concat(broken), problems: [] },
      AT,
    ).state;
    const hold = createRemovalHold(timing);
    hold.event(1_000);
    const files = [file("a.yaml", "x"), file("b.yaml", "y")];
    expect(hold.apply(withBroken, files, 1_100, false).held).toEqual([]);
  });
});
