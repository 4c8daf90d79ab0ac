import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { integrationYaml, plainLayout } from "../../support/config-dir.js";
import { counts, serving, startWatching, useCleanups } from "../../support/watching.js";

const { cleanups, later } = useCleanups();

describe("a watched folder with a file whose references resolve to too much", () => {
  it("reports that file as invalid and still applies the changes that come after it", async () => {
    const layout = later(plainLayout());
    const dir = path.join(layout.dir, "integrations.d");
    const large = path.join(layout.dir, "large.txt");
    fs.mkdirSync(dir);
    fs.writeFileSync(large, "x".repeat(900 * 1024));
    fs.writeFileSync(path.join(dir, "a.yaml"), integrationYaml("x"));
    const w = await startWatching(dir, cleanups, {}, { secrets: "resolve" });
    await w.generation(1);

    // 540 MB to build: it threw, and every rescan failed from then on.
    const bomb = { description: `\${file:${large}}`.repeat(600) };
    fs.writeFileSync(path.join(dir, "bomb.yaml"), integrationYaml("bomb", bomb));
    const refused = await w.generation(2, 5_000);
    expect(counts(refused.summary)).toEqual({ added: 0, changed: 0, removed: 0, invalid: 1 });
    expect(refused.state.problems.map((p) => [path.basename(p.file), p.message])).toEqual([
      [
        "bomb.yaml",
        "description: resolves to more than 1 MiB (600 references); " +
          "a value may be at most 1 MiB: reference fewer or smaller secrets",
      ],
    ]);

    fs.writeFileSync(path.join(dir, "c.yaml"), integrationYaml("y"));
    const next = await w.generation(3, 5_000);
    expect(Object.keys(serving(next.state)).sort()).toEqual(["x", "y"]);
    expect(w.logs.filter((l) => l.level === "error")).toEqual([]);
  });
});
