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
  ])("reports %s, leaving the text as written", (_what, url, problems) => {
    for (const mode of ["resolve", "mark", "keep"] as const) {
      const result = applyReferences({ webhook: { url } }, mode, prefixed);
      expect(result.problems.map((p) => p.message)).toEqual(problems);
      expect(result.value).toEqual({ webhook: { url } });
    }
  });
});
