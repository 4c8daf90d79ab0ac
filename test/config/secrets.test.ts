import { describe, expect, it } from "vitest";
import {
  knownValue,
  MAX_RESOLVED_BYTES,
  namedFirst,
  parseReferences,
  resolveSegments,
  textBetweenReferences,
  type Segment,
} from "../../src/config/secrets.js";
import { SecretBudgetError } from "../../src/config/secret-files.js";

describe("parseReferences", () => {
  it.each<[string, Segment[]]>([
    ["plain", [{ kind: "text", text: "plain" }]],
    ["${env:CRM_TOKEN}", [{ kind: "env", name: "CRM_TOKEN" }]],
    ["${file:/run/secrets/x}", [{ kind: "file", path: "/run/secrets/x" }]],
    ["${file:secrets/x}", [{ kind: "file", path: "secrets/x" }]],
    [
      "Bearer ${env:T} end",
      [
        { kind: "text", text: "Bearer " },
        { kind: "env", name: "T" },
        { kind: "text", text: " end" },
      ],
    ],
    [
      "$${env:X}",
      [
        { kind: "text", text: "${", escaped: true },
        { kind: "text", text: "env:X}" },
      ],
    ],
    [
      "a$${b}c",
      [
        { kind: "text", text: "a" },
        { kind: "text", text: "${", escaped: true },
        { kind: "text", text: "b}c" },
      ],
    ],
    ["cost $5 {name}", [{ kind: "text", text: "cost $5 {name}" }]],
    ["", []],
  ])("splits %j into segments", (text, segments) => {
    expect(parseReferences(text)).toEqual({ ok: true, segments });
  });

  it.each([
    ["${foo}", /malformed reference "\$\{foo\}"/],
    ["${env:}", /malformed reference/],
    ["${env:1ABC}", /malformed reference/],
    ["${file:}", /malformed reference/],
    ["${vault:x}", /malformed reference/],
    ["x ${env:TOKEN", /^unterminated reference "\$\{env:…": end it with \}; write/],
    ["${whsec_S3CRETVALUE1234", /^unterminated reference "\$\{…": end it with \}/],
    ["${env:user: S3CRET-USER, password: S3CRET-PW }", /^malformed reference "\$\{env:…": write/],
    ["${env:CRM-TOKEN}", /malformed reference/],
    ["${file: /run/secrets/x}", /malformed reference/],
    ["${file:/run/secrets/x }", /malformed reference/],
    [`\${env:${"A".repeat(60)}-}`, /^malformed reference "\$\{env:…": write/],
    // Shown whole up to 40 characters, one word with no comma: longer may be a secret.
    [`\${env:1${"A".repeat(32)}}`, new RegExp(`^malformed reference "\\$\\{env:1A{32}\\}": write`)],
    [`\${env:1${"A".repeat(33)}}`, /^malformed reference "\$\{env:…": write/],
    ["${env:A,B}", /^malformed reference "\$\{env:…": write/],
  ])("reports %j as a problem", (text, message) => {
    const parsed = parseReferences(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(message);
  });
});

describe("resolveSegments", () => {
  const files: Record<string, string> = { "/s/token": "file-secret\n", "/s/crlf": "x\r\n" };
  const sources = {
    env: { TOKEN: "env-secret", EMPTY: "" },
    readFile: (path: string) => {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error("nope"), { code: "ENOENT" });
      return text;
    },
  };
  const resolve = (text: string) => {
    const parsed = parseReferences(text);
    if (!parsed.ok) throw new Error(parsed.message);
    return resolveSegments(parsed.segments, sources);
  };

  // Beside each value, where in it are secrets and escapes (no placeholder is read there),
  // and the secrets themselves.
  it.each<[string, string, Array<[number, number]>, string[]]>([
    ["Bearer ${env:TOKEN}", "Bearer env-secret", [[7, 17]], ["env-secret"]],
    ["${file:/s/token}", "file-secret", [[0, 11]], ["file-secret"]],
    ["${file:/s/crlf}", "x", [[0, 1]], ["x"]],
    ["$${env:TOKEN}", "${env:TOKEN}", [[0, 2]], []],
    ["[${env:EMPTY}]", "[]", [[1, 1]], [""]],
    [
      "{name}${env:TOKEN}$${x}",
      "{name}env-secret${x}",
      [
        [6, 16],
        [16, 18],
      ],
      ["env-secret"],
    ],
    ["plain", "plain", [], []],
  ])("resolves %j", (text, value, literals, secrets) => {
    const bytes = Buffer.byteLength(value);
    expect(resolve(text)).toEqual({ ok: true, value, literals, secrets, bytes });
  });

  it("names a missing variable without any value", () => {
    expect(resolve("${env:MISSING}")).toEqual({
      ok: false,
      message: "environment variable MISSING is not set",
    });
  });

  it("names every reference that cannot be read, not only the first", () => {
    expect(resolve("https://h/${env:A}?k=${env:TOKEN}&j=${env:B}&f=${file:/s/none}")).toEqual({
      ok: false,
      message:
        "environment variable A is not set; environment variable B is not set; " +
        "secret file /s/none cannot be read (ENOENT: no such file)",
    });
  });

  it("names an unreadable file and its error code", () => {
    expect(resolve("${file:/s/none}")).toEqual({
      ok: false,
      message: "secret file /s/none cannot be read (ENOENT: no such file)",
    });
  });

  it("refuses a value over 1 MiB from its sizes, reading each reference once", () => {
    let reads = 0;
    const large = "x".repeat(900 * 1024);
    const counting = {
      env: {},
      readFile: () => {
        reads++;
        return large;
      },
    };
    const parsed = parseReferences("${file:/s/large}".repeat(600));
    if (!parsed.ok) throw new Error(parsed.message);
    expect(resolveSegments(parsed.segments, counting)).toEqual({
      ok: false,
      message:
        "resolves to more than 1 MiB (600 references); " +
        "a value may be at most 1 MiB: reference fewer or smaller secrets",
    });
    expect(reads).toBe(1);
  });

  it("reads no further once a string is past 1 MiB", () => {
    const read: string[] = [];
    const counting = {
      env: {},
      readFile: (path: string) => {
        read.push(path);
        return "x".repeat(900 * 1024);
      },
    };
    const parsed = parseReferences("${file:/s/a}${file:/s/b}${file:/s/c}${file:/s/d}");
    if (!parsed.ok) throw new Error(parsed.message);
    expect(resolveSegments(parsed.segments, counting)).toMatchObject({ ok: false });
    expect(read).toEqual(["/s/a", "/s/b"]);
  });

  it("takes a value of exactly 1 MiB, counted in UTF-8 bytes, and refuses one byte more", () => {
    const half = "é".repeat(MAX_RESOLVED_BYTES / 4); // two bytes each: half a MiB
    const halves = { env: { HALF: half }, readFile: () => "" };
    const exact = parseReferences("${env:HALF}${env:HALF}");
    const over = parseReferences("${env:HALF}${env:HALF}!");
    if (!exact.ok || !over.ok) throw new Error("unparsed");
    expect(resolveSegments(exact.segments, halves)).toMatchObject({
      ok: true,
      bytes: MAX_RESOLVED_BYTES,
    });
    expect(resolveSegments(over.segments, halves)).toMatchObject({ ok: false });
  });

  it("names the first few references that cannot be read and counts the others", () => {
    const text = Array.from({ length: 1000 }, (_, i) => `\${file:/s/none${i}}`).join("");
    const result = resolve(text + "${file:/s/none0}");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toBe(
      [
        "secret file /s/none0 cannot be read (ENOENT: no such file)",
        ...[1, 2, 3, 4].map((i) => `secret file /s/none${i} cannot be read (ENOENT: no such file)`),
        "and 995 more",
      ].join("; "),
    );
  });

  it("reads no more references once five could not be read", () => {
    const read: string[] = [];
    const missing = {
      env: {},
      readFile: (path: string): string => {
        read.push(path);
        throw Object.assign(new Error("gone"), { code: "ENOENT" });
      },
    };
    const parsed = parseReferences(
      Array.from({ length: 1000 }, (_, i) => `\${file:/s/none${i}}`).join(""),
    );
    if (!parsed.ok) throw new Error(parsed.message);
    const result = resolveSegments(parsed.segments, missing);
    expect(read).toEqual([0, 1, 2, 3, 4].map((i) => `/s/none${i}`));
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.message).toMatch(
        /none4 cannot be read \(ENOENT: no such file\); and 995 more$/,
      );
  });

  it("reads no more references once the file's secrets are used up", () => {
    const read: string[] = [];
    const spent = {
      env: {},
      readFile: (path: string): string => {
        read.push(path);
        throw new SecretBudgetError("too much");
      },
    };
    const parsed = parseReferences("${file:/s/a}${file:/s/b}${file:/s/c}");
    if (!parsed.ok) throw new Error(parsed.message);
    expect(resolveSegments(parsed.segments, spent)).toEqual({
      ok: false,
      message: "secret file /s/a cannot be read (too much); and 2 more",
    });
    expect(read).toEqual(["/s/a"]);
  });
});

describe("knownValue", () => {
  it.each<[string, boolean, string | undefined]>([
    ["https://h/x", false, "https://h/x"],
    ["https://h/$${x}", false, "https://h/${x}"],
    ["https://h/${env:HOST}", false, undefined],
    ["https://h/${foo}", false, undefined],
    // Resolved, the text is final: a `${` in it came from a secret or an escape.
    ["https://h/${x}", true, "https://h/${x}"],
    ["${env:HOST}", true, "${env:HOST}"],
  ])("knows %j (resolved: %s) as %j", (text, resolved, value) => {
    expect(knownValue(text, resolved)).toBe(value);
  });
});

describe("textBetweenReferences", () => {
  it.each<[string, string[]]>([
    ["svc:${env:PASSWORD}", ["svc:"]],
    ["a${env:X}b${file:/y}c", ["a", "b", "c"]],
    ["${env:X}${env:Y}", []],
    ["x$${y}", ["x${y}"]],
  ])("reads %j as %j", (text, runs) => {
    const parsed = parseReferences(text);
    expect(parsed.ok && textBetweenReferences(parsed.segments)).toEqual(runs);
  });
});

describe("namedFirst", () => {
  it.each<[string[], string]>([
    [["a"], "a"],
    [["a", "b"], "a; b"],
    [["a", "a", "b"], "a (2 times); b"],
    [Array(100_000).fill("a"), "a (100,000 times)"],
    [["a", "b", "c", "d", "e", "f", "g"], "a; b; c; d; e; and 2 more"],
  ])("lists %j as %j", (messages, listed) => {
    expect(namedFirst(messages)).toBe(listed);
  });
});
