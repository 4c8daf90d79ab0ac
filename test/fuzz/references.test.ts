import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseReferences, resolveSegments } from "../../src/config/secrets.js";

const pieces = fc.constantFrom(
  "${",
  "$${",
  "}",
  "env:",
  "file:",
  "A_1",
  "/run/s",
  "$",
  "{",
  "x",
  " ",
);
const referenceLike = fc.array(pieces, { maxLength: 12 }).map((p) => p.join(""));
const anyText = fc.oneof(fc.string({ unit: "binary", maxLength: 60 }), referenceLike);
const SECRET = "s3cr3t-VALUE";

describe("secret references with arbitrary text", () => {
  it("never throws and either splits the text or says how to write a reference", () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const parsed = parseReferences(text);
        if (parsed.ok) expect(Array.isArray(parsed.segments)).toBe(true);
        else expect(parsed.message).toMatch(/\$\{env:NAME\}|\$\{file:/);
      }),
      { numRuns: 500 },
    );
  });

  it("keeps text without ${ exactly as it is", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 60 }), (text) => {
        fc.pre(!text.includes("${"));
        const parsed = parseReferences(text);
        expect(parsed.ok).toBe(true);
        if (parsed.ok) {
          expect(parsed.segments.map((s) => (s.kind === "text" ? s.text : "")).join("")).toBe(text);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("never puts a secret value into a resolution message", () => {
    fc.assert(
      fc.property(referenceLike, (text) => {
        const parsed = parseReferences(text);
        if (!parsed.ok) return;
        const resolution = resolveSegments(parsed.segments, {
          env: { A_1: SECRET },
          readFile: () => {
            throw Object.assign(new Error(`cannot read ${SECRET}`), { code: "EACCES" });
          },
        });
        if (!resolution.ok) expect(resolution.message).not.toContain(SECRET);
      }),
      { numRuns: 300 },
    );
  });
});
