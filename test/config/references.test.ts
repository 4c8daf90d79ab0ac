import { describe, expect, it } from "vitest";
import { applyReferences, SECRET_MARK, type SecretMode } from "../../src/config/references.js";
import type { SecretSources } from "../../src/config/secrets.js";

/** Secrets from a fixed environment; no file can be read, and no reference is refused. */
const sources: SecretSources = {
  env: { TOKEN: "t0ken", HOST: "crm.example.com" },
  readFile: (path) => {
    throw new Error(`no file ${path} here`);
  },
};

/** The policy of `--secret-env-prefix HOOKSWITCH_`: other variables may not be named. */
const prefixed: SecretSources = {
  ...sources,
  refuse: (reference) =>
    reference.kind === "env" && !reference.name.startsWith("HOOKSWITCH_")
      ? `\${env:${reference.name}} is not allowed`
      : undefined,
};

describe("applyReferences", () => {
  it.each<[SecretMode, string]>([
    ["resolve", "Bearer t0ken"],
    ["mark", `Bearer ${SECRET_MARK}`],
    ["keep", "Bearer ${env:TOKEN}"],
  ])("in %s mode makes a reference %j", (mode, value) => {
    const result = applyReferences({ token: "Bearer ${env:TOKEN}" }, mode, sources);
    expect(result.value).toEqual({ token: value });
    expect(result.problems).toEqual([]);
  });

  it.each<SecretMode>(["resolve", "mark", "keep"])(
    "in %s mode keeps a __proto__ key beside a reference as a plain key",
    (mode) => {
      const data: unknown = JSON.parse(
        '{"headers": {"__proto__": "a", "X-Token": "${env:TOKEN}"}}',
      );
      const { value } = applyReferences(data, mode, sources) as {
        value: { headers: Record<string, string> };
      };
      expect(Object.keys(value.headers)).toEqual(["__proto__", "X-Token"]);
      expect(Object.getOwnPropertyDescriptor(value.headers, "__proto__")?.value).toBe("a");
      expect(Object.getPrototypeOf(value.headers)).toBe(Object.prototype);
    },
  );

  it("resolves a reference held by a __proto__ key into a plain key, the prototype untouched", () => {
    const data: unknown = JSON.parse('{"headers": {"X-A": "a", "__proto__": "${env:TOKEN}"}}');
    const { value } = applyReferences(data, "resolve", sources) as {
      value: { headers: Record<string, string> };
    };
    expect(Object.keys(value.headers)).toEqual(["X-A", "__proto__"]);
    expect(Object.getOwnPropertyDescriptor(value.headers, "__proto__")?.value).toBe("t0ken");
    expect(Object.getPrototypeOf(value.headers)).toBe(Object.prototype);
  });

  it("hands back the document itself when it has no reference, and copies only what changed", () => {
    const plain = { webhook: { url: "https://crm.example.com/", pathArguments: ["{name}"] } };
    expect(applyReferences(plain, "resolve", sources).value).toBe(plain);

    const data = {
      webhook: { url: "https://${env:HOST}/", pathArguments: ["a", "${env:TOKEN}"] },
      scope: { account: "acme" },
    };
    const { value } = applyReferences(data, "resolve", sources) as { value: typeof data };
    expect(value).toEqual({
      webhook: { url: "https://crm.example.com/", pathArguments: ["a", "t0ken"] },
      scope: { account: "acme" },
    });
    expect(value.scope).toBe(data.scope);
    expect(data.webhook.pathArguments).toEqual(["a", "${env:TOKEN}"]);
    expect(data.webhook.url).toBe("https://${env:HOST}/");
  });

  it.each<[string, string, string[]]>([
    [
      "a refused reference, which is then not read",
      "${env:UNSET}",
      ["webhook.url: ${env:UNSET} is not allowed"],
    ],
    [
      "every refused reference of a string, in one problem",
      "https://${env:HOST}/${env:UNSET}",
      ["webhook.url: ${env:HOST} is not allowed; ${env:UNSET} is not allowed"],
    ],
    [
      "the first five refused references of a string, and how many more, in a problem of a line",
      "${env:A}${env:B}${env:C}${env:D}${env:E}${env:F}" + "${env:G}".repeat(100_000),
      [
        "webhook.url: " +
          ["A", "B", "C", "D", "E"].map((n) => `\${env:${n}} is not allowed`).join("; ") +
          "; and 2 more",
      ],
    ],
  ])("reports %s, leaving the text as written", (_what, url, problems) => {
    for (const mode of ["resolve", "mark", "keep"] as const) {
      const result = applyReferences({ webhook: { url } }, mode, prefixed);
      expect(result.problems.map((p) => p.message)).toEqual(problems);
      expect(result.value).toEqual({ webhook: { url } });
    }
  });

  it.each([
    ["resolves strings of exactly 1 MiB in all", 512 * 1024, []],
    ["refuses the string that takes them one byte past 1 MiB", 512 * 1024 + 1, [["fields", "b"]]],
  ])("%s", (_what, secondBytes, refusedAt) => {
    const env = { HALF: "x".repeat(512 * 1024), REST: "x".repeat(secondBytes) };
    const fields = { a: "${env:HALF}", b: "${env:REST}" };
    const result = applyReferences({ fields }, "resolve", { ...sources, env });
    expect(result.problems.map((p) => p.path)).toEqual(refusedAt);
  });

  it("still resolves a reference to an empty value once the strings weigh exactly 1 MiB", () => {
    const env = { HALF: "x".repeat(512 * 1024), EMPTY: "" };
    const fields = { a: "${env:HALF}", b: "${env:HALF}", c: "${env:EMPTY}" };
    const result = applyReferences({ fields }, "resolve", { ...sources, env });
    expect(result.problems).toEqual([]);
    expect(result.value).toMatchObject({ fields: { c: "" } });
    expect(result.unresolved).toEqual(new Set());
  });

  it("refuses the string that takes an integration's resolved strings past 1 MiB in all", () => {
    const large = { ...sources, env: { LARGE: "x".repeat(600 * 1024) } };
    const fields = { a: "${env:LARGE}", b: "${env:LARGE}", c: "${env:LARGE}" };
    const result = applyReferences({ fields }, "resolve", large);
    expect(result.problems).toEqual([
      {
        path: ["fields", "b"],
        message:
          "fields.b: the strings with references of this integration resolve to more than " +
          "1 MiB in all, with this one; reference fewer or smaller secrets",
      },
    ]);
  });
});
