import { link, mkdir, mkdtemp, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { documentContext } from "../../../src/config/load/document-context.js";
import { loadFileSync, type FileResult } from "../../../src/config/load/load-file.js";
import { loadFile } from "../../../src/config/load/load.js";
import { renderRequest } from "../../../src/delivery/render.js";
import { readRegularFile, type RegularFileRead } from "../../../src/regular-file.js";
import { integrationYaml } from "../../commands/validate-cases.js";
import { makeEvent, requestOf } from "../../support/integration.js";

let dir: string;
let large: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hookswitch-load-limits-"));
  large = join(dir, "large.txt");
  await writeFile(large, "x".repeat(900 * 1024));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function fileWith(name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

const resolve = { secrets: "resolve" } as const;

describe("loadFile with references to large secrets", () => {
  it("reports a value whose references resolve to more than 1 MiB, at its place", async () => {
    // 600 references to a 900 KiB file: 540 MB to build, past V8's longest string.
    const bomb = `\${file:${large}}`.repeat(600);
    const yaml = integrationYaml("bomb").replace("scope:", `description: "${bomb}"\nscope:`);
    const file = await fileWith("bomb.yaml", yaml);
    const result = await loadFile(file, resolve);
    expect(result.integrations).toEqual([]);
    expect(result.problems).toEqual([
      {
        file,
        line: 3,
        column: 14,
        integration: "bomb",
        message:
          "description: resolves to more than 1 MiB (600 references); " +
          "a value may be at most 1 MiB: reference fewer or smaller secrets",
      },
    ]);
  });

  it("refuses an integration whose strings resolve to more than 1 MiB together", async () => {
    const fields = Array.from({ length: 300 }, (_, i) => `    f${i}: {value: "\${file:${large}}"}`);
    const file = await fileWith("many.yaml", integrationYaml("many", {}, ["  fields:", ...fields]));
    const result = await loadFile(file, resolve);
    expect(result.problems.map((p) => [p.line, p.message])).toEqual([
      [
        12,
        "webhook.fields.f1.value: the strings with references of this integration resolve " +
          "to more than 1 MiB in all, with this one; reference fewer or smaller secrets",
      ],
    ]);
  });

  it("reads each referenced file once per load of a file", async () => {
    const secret = await fileWith("once.txt", "first\n");
    const context = documentContext(join(dir, "a.yaml"), resolve);
    expect(context.sources.readFile(secret)).toBe("first\n");
    await unlink(secret);
    expect(context.sources.readFile(secret)).toBe("first\n");
    // The next load reads it again.
    expect(() => documentContext(join(dir, "a.yaml"), resolve).sources.readFile(secret)).toThrow();
  });

  it("reads no more than 16 MiB of secret files for one file", async () => {
    const files = Array.from({ length: 20 }, (_, i) => join(dir, `large-${i}.txt`));
    for (const file of files) await writeFile(file, "y".repeat(900 * 1024));
    const context = documentContext(join(dir, "a.yaml"), resolve);
    // 900 KiB each: the 19th takes the total past 16 MiB.
    files
      .slice(0, 18)
      .forEach((file) => expect(context.sources.readFile(file)).toHaveLength(921_600));
    expect(() => context.sources.readFile(files[18]!)).toThrow(TOO_MUCH);
  });

  it("reads no byte of a file past 16 MiB, and opens none once 16 MiB are read", async () => {
    const files = Array.from({ length: 19 }, (_, i) => join(dir, `spent-${i}.txt`));
    for (const file of files) await writeFile(file, "y".repeat(900 * 1024));
    const rest = 16 * 1024 * 1024 - 18 * 900 * 1024;
    const exact = await fileWith("exact.txt", "z".repeat(rest));
    const reads: [string, number, RegularFileRead][] = [];
    const counted = (path: string, limit: number) => {
      const read = readRegularFile(path, limit);
      reads.push([path, limit, read]);
      return read;
    };
    const context = documentContext(join(dir, "a.yaml"), resolve, counted);
    files.slice(0, 18).forEach((file) => context.sources.readFile(file));
    // Read with what is left as its limit: refused by its size, not read.
    expect(() => context.sources.readFile(files[18]!)).toThrow(TOO_MUCH);
    expect(reads.at(-1)).toEqual([files[18], rest, expect.objectContaining({ ok: false })]);
    expect(context.sources.readFile(exact)).toHaveLength(rest);
    // 16 MiB read to the byte: one byte more is refused, its file not even opened.
    const oneByte = await fileWith("one-byte.txt", "z");
    const opened = reads.length;
    expect(() => context.sources.readFile(oneByte)).toThrow(TOO_MUCH);
    expect(reads).toHaveLength(opened);
  });

  it("refuses a file of exactly 1 MiB for the 16 MiB, not its size, once less than 1 MiB is left", async () => {
    // Hard links: each is a file of its own to the budget, 900 KiB on disk once.
    const links = Array.from({ length: 18 }, (_, i) => join(dir, `linked-${i}.txt`));
    for (const path of links) await link(large, path);
    const mebibyte = await fileWith("one-mib.txt", "m".repeat(1024 * 1024));
    const context = documentContext(join(dir, "a.yaml"), resolve);
    expect(context.sources.readFile(mebibyte)).toHaveLength(1024 * 1024);
    const after = documentContext(join(dir, "b.yaml"), resolve);
    links.forEach((path) => after.sources.readFile(path));
    expect(() => after.sources.readFile(mebibyte)).toThrow(TOO_MUCH);
  });

  it("reads a file once however its references spell it", async () => {
    await mkdir(join(dir, "q"), { recursive: true });
    let reads = 0;
    const counted = (path: string, limit: number) => (reads++, readRegularFile(path, limit));
    const context = documentContext(join(dir, "a.yaml"), resolve, counted);
    const spellings = [
      "large.txt",
      "./large.txt",
      "q/../large.txt",
      large,
      `${dir}/q/../large.txt`,
    ];
    const texts = spellings.map((path) => context.sources.readFile(path));
    expect(reads).toBe(1);
    expect(new Set(texts).size).toBe(1);
  });
});

describe("documentContext reading webhook.tls.ca", () => {
  it("reads and checks one CA file once for all the documents of a file", async () => {
    await writeFile(join(dir, "ca.pem"), "not a certificate");
    let reads = 0;
    const counted = (path: string, limit: number) => (reads++, readRegularFile(path, limit));
    const context = documentContext(join(dir, "a.yaml"), resolve, counted);
    const first = context.readCa("ca.pem");
    expect(first.problem).toMatch(/holds no PEM certificate/);
    expect(context.readCa("./ca.pem")).toBe(first);
    expect(context.readCa(join(dir, "ca.pem"))).toBe(first);
    expect(reads).toBe(1);
  });

  it("counts CA files in the 16 MiB a file's secrets may hold", async () => {
    const cas = Array.from({ length: 18 }, (_, i) => join(dir, `ca-${i}.pem`));
    for (const ca of cas) await writeFile(ca, "c".repeat(900 * 1024));
    const context = documentContext(join(dir, "a.yaml"), resolve);
    cas.forEach((ca) => context.readCa(ca));
    expect(() => context.sources.readFile(large)).toThrow(TOO_MUCH);
  });

  it("loads 300 documents naming one CA file of 1 MB in a few seconds (it took 57 s)", async () => {
    const one = await readFile(join(import.meta.dirname, "../../fixtures/tls/test-ca.pem"), "utf8");
    const pem = await fileWith("one-big.pem", one.repeat(Math.floor(1_000_000 / one.length)));
    const docs = Array.from({ length: 300 }, (_, i) =>
      integrationYaml(`ca${i}`, {}, ["  tls:", `    ca: ${pem}`]),
    );
    const file = await fileWith("cas.yaml", docs.join("---\n"));
    const started = performance.now();
    const result = await loadFile(file, resolve);
    expect(result.problems).toEqual([]);
    expect(result.integrations).toHaveLength(300);
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});

const TOO_MUCH =
  "the secret and CA files this file names hold more than 16 MiB together; name fewer or smaller ones";

describe("loadFileSync when loading fails unexpectedly", () => {
  it("makes the failure a problem of the file, naming it a bug, with its stack kept apart", () => {
    const failing = (): FileResult => {
      throw new RangeError("Invalid string length");
    };
    const result = loadFileSync("/x/a.yaml", resolve, failing);
    expect(result).toMatchObject({ file: "/x/a.yaml", integrations: [] });
    expect(result.problems).toEqual([
      {
        file: "/x/a.yaml",
        line: 1,
        column: 1,
        message:
          "hookswitch failed to load this file (RangeError: Invalid string length); this is " +
          "a bug, please report it with this message; the file's last valid version, if " +
          "any, keeps running; otherwise it is left out",
      },
    ]);
    expect(result.internalError).toMatch(/^RangeError: Invalid string length\n\s+at /);
  });

  it.each([
    [200, "x".repeat(200)],
    [201, `${"x".repeat(200)}…`],
  ])(
    "quotes a failure's message of %i characters whole up to 200, clipped past",
    (length, quoted) => {
      const failing = (): FileResult => {
        throw new Error("x".repeat(length));
      };
      const [problem] = loadFileSync("/x/a.yaml", resolve, failing).problems;
      expect(problem?.message).toContain(`(Error: ${quoted}); this is a bug`);
    },
  );

  it("gives two files that fail alike different hashes: neither is the other renamed", () => {
    const failing = (): FileResult => {
      throw new Error("the same failure");
    };
    const [a, b] = ["/x/a.yaml", "/x/b.yaml"].map((f) => loadFileSync(f, resolve, failing));
    expect(a?.hash).not.toBe(b?.hash);
  });
});

describe("a request key named __proto__", () => {
  it("goes out in the body like any other key", async () => {
    const fields = ["  fields:", "    __proto__: name", "    constructor: name", "    plain: name"];
    const file = await fileWith("proto.yaml", integrationYaml("proto", {}, fields));
    const { integrations, problems } = await loadFile(file, resolve);
    expect(problems).toEqual([]);
    const request = requestOf(renderRequest(integrations[0]!, makeEvent(), new Date(0)));
    const name = "Alice Example"; // the event's user's name
    expect(JSON.parse(request.body!)).toEqual(
      JSON.parse(`{"__proto__":"${name}","constructor":"${name}","plain":"${name}"}`),
    );
    expect(request.body).toMatch(/^\{"__proto__":/);
  });
});
