import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadFile } from "../../../src/config/load/load.js";
import { expandsBeyond } from "../../../src/config/parse/expanded-size.js";
import { parseYamlDocuments } from "../../../src/config/parse/parse.js";
import { integrationYaml, makeTempDir, removeDir } from "../../support/config-dir.js";

describe("expandsBeyond measures data with its shared values counted at each use", () => {
  const shared = "s".repeat(40);
  it.each<[string, unknown, number, boolean]>([
    ["a string of the limit", "x".repeat(10), 10, false],
    ["a string past it", "x".repeat(11), 10, true],
    ["a key and its value (1 for the value)", { abc: "defg" }, 8, false],
    ["the same, one less", { abc: "defg" }, 7, true],
    ["a list counts 1 an item", [1, 2, 3], 3, false],
    ["one string used three times", [shared, shared, shared], 123, false],
    ["one string used three times, a limit one less", [shared, shared, shared], 122, true],
    ["a list of itself nested", { a: [[shared], [shared]] }, 86, false],
    ["numbers, booleans and null count 1", { a: 12345, b: true, c: null }, 9, false],
  ])("%s", (_what, data, limit, beyond) => {
    expect(expandsBeyond(data, limit)).toBe(beyond);
  });

  it("stops as soon as it passes the limit, however large the expansion", () => {
    const big = "b".repeat(1_000_000);
    const opened = new Set<number>();
    // 100 lists of 100 strings of 1 MB: 10 GB written out. Each list notes when it is read.
    const deep = Array.from(
      { length: 100 },
      (_, n) =>
        new Proxy(
          Array.from({ length: 100 }, () => big),
          {
            get(target, key, receiver) {
              if (key === Symbol.iterator || /^\d+$/.test(String(key))) opened.add(n);
              return Reflect.get(target, key, receiver) as unknown;
            },
          },
        ),
    );
    expect(expandsBeyond(deep, 1024 * 1024)).toBe(true);
    // Two strings already pass 1 MiB: the first list read holds them.
    expect(opened.size).toBe(1);
  });

  it("keeps a document written out to the very limit within it", () => {
    // An anchor makes the positional parser (the one that expands aliases) read it.
    const text = `[&x a${",a".repeat((1024 * 1024 - 6) / 2)}]`;
    expect(text).toHaveLength(1024 * 1024);
    expect(parseYamlDocuments(text).documents[0]?.problems).toEqual([]);
  });
});

describe("loading a file whose aliases expand past the file size limit", () => {
  const dir = makeTempDir();
  afterAll(() => removeDir(dir));

  /** An integration whose fields k0… are `count` uses of one anchored `length`-character value. */
  async function aliasedFile(file: string, length: number, count: number): Promise<string> {
    const fields = [`    k0: { value: &s ${"A".repeat(length)} }`];
    for (let i = 1; i < count; i++) fields.push(`    k${i}: { value: *s }`);
    const text = `${integrationYaml("aliased")}  fields:\n${fields.join("\n")}\n`;
    await writeFile(join(dir, file), `# aliases\n${text}`);
    return join(dir, file);
  }

  it("refuses 60 uses of a 20,000-character value (1.2 MB) at the document", async () => {
    const result = await loadFile(await aliasedFile("bomb.yaml", 20_000, 60), { secrets: "keep" });
    expect(result.integrations).toEqual([]);
    expect(result.problems).toEqual([
      {
        file: result.file,
        line: 2,
        column: 1,
        message:
          "aliases expand this document to more than 1 MiB: write the values out, or use fewer aliases",
      },
    ]);
  });

  it("loads 40 uses of a 20,000-character value (800 KB)", async () => {
    const result = await loadFile(await aliasedFile("fine.yaml", 20_000, 40), { secrets: "keep" });
    expect(result.problems).toEqual([]);
    expect(result.integrations.map((i) => i.name)).toEqual(["aliased"]);
  });
});
