/**
 * The README's `npx hookswitch …` commands, run as written from the repository root on a
 * fresh clone (no secrets in the environment but those the command line sets itself).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO, runCli } from "../support/cli.js";

const README = readFileSync(join(REPO, "README.md"), "utf8");

/** The body of the README section that starts with `## title`. */
function section(title: string): string {
  const start = README.indexOf(`\n## ${title}\n`);
  expect(start, `README section "${title}"`).toBeGreaterThan(-1);
  const end = README.indexOf("\n## ", start + 1);
  return README.slice(start, end === -1 ? undefined : end);
}

/** The lines of a section's fenced code blocks, backslash continuations joined. */
function codeLines(text: string, lang: string): string[] {
  const blocks = [...text.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g"))];
  return blocks
    .flatMap((b) => b[1]!.replace(/\\\n\s*/g, "").split("\n"))
    .map((l) => l.trim())
    .filter((l) => l !== "");
}

interface Command {
  env: Record<string, string>;
  args: string[];
  input?: string;
}

/** `VAR=value … npx hookswitch ARGS… [< FILE]`, in the plain words these examples use. */
function parseCommand(line: string): Command {
  expect(line, "no quoting in README commands, or teach this parser").not.toMatch(/["'`$|;&]/);
  const words = line.split(/\s+/);
  const env: Record<string, string> = {};
  while (/^[A-Z_][A-Z0-9_]*=/.test(words[0] ?? "")) {
    const word = words.shift()!;
    const eq = word.indexOf("=");
    env[word.slice(0, eq)] = word.slice(eq + 1);
  }
  expect(words.slice(0, 2)).toEqual(["npx", "hookswitch"]);
  const args = words.slice(2);
  const redirect = args.indexOf("<");
  if (redirect === -1) return { env, args };
  const input = readFileSync(join(REPO, args[redirect + 1]!), "utf8");
  return { env, args: args.slice(0, redirect), input };
}

/** No variable the examples rely on may leak in from the test's own environment. */
const CLEAN = {
  CRM_TOKEN: undefined,
  CRM_SIGNING_SECRET: undefined,
  BILLING_PASSWORD: undefined,
  HOOKSWITCH_DIR: undefined,
  HOOKSWITCH_SHOW_SECRETS: undefined,
  HOOKSWITCH_RENDER_JSON: undefined,
  HOOKSWITCH_RENDER_INCLUDE_DISABLED: undefined,
  HOOKSWITCH_EVENT: undefined,
  HOOKSWITCH_RESOLVE_SECRETS: undefined,
};

describe("README", () => {
  it("builds dist/ in the quick start before anything runs npx hookswitch", () => {
    const lines = codeLines(section("Run it"), "sh");
    expect(lines.findIndex((l) => l.startsWith("npm ci"))).toBe(0);
    expect(lines.findIndex((l) => l.startsWith("npm run build"))).toBe(1);
  });

  const preview = codeLines(section("Preview a request"), "sh");
  it("has render examples", () => {
    expect(preview.length).toBeGreaterThanOrEqual(2);
  });

  it.each(preview)("runs as written, secrets masked: %s", async (line) => {
    const { env, args, input } = parseCommand(line);
    const { code, stdout, stderr } = await runCli(args, { env: { ...CLEAN, ...env }, input });
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toMatch(/POST http:\/\/127\.0\.0\.1:8787\/|"method": "POST"/);
    for (const value of Object.values(env)) {
      expect(stdout).not.toContain(value.replace(/^whsec_/, ""));
    }
  });

  it("validates the example integrations with the CI job's command", async () => {
    const step = codeLines(section("Check it in CI"), "yaml").find((l) =>
      l.includes("npx hookswitch validate"),
    );
    expect(step).toBeDefined();
    const { env, args } = parseCommand(step!.replace(/^- run:\s*/, ""));
    const { code, stdout } = await runCli(args, { env: { ...CLEAN, ...env } });
    expect(stdout).toMatch(/all valid/);
    expect(code).toBe(0);
  });
});
