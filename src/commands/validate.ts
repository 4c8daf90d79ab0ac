/**
 * `hookswitch validate [PATH…]`: loads files exactly as `run` does and reports every
 * problem as `file:line:col: message`, and every warning (a secret in clear) as
 * `file:line:col: warning: message`. Exit 0 valid (warnings or not), 1 invalid, 2 usage error.
 */
import { existsSync, statSync } from "node:fs";
import { Command, Option } from "commander";
import { digestOfValid } from "../config/digest.js";
import { loadIntegrations, type LoadResult } from "../config/load/load.js";
import { countProblems } from "../config/load/load-file.js";
import { shownScope } from "../config/shown.js";
import { compareText } from "../config/text.js";
import { plural } from "../config/text.js";
import type { Problem } from "../config/types.js";
import { ExitError, UsageError } from "../errors.js";
import { printable } from "../output/printable.js";
import { envText } from "./options/env-flags.js";
import {
  addSecretPolicyOptions,
  secretPolicyOf,
  type SecretPolicyFlags,
} from "./options/secret-options.js";

const FORMATS = ["text", "json", "github"] as const;
type Format = (typeof FORMATS)[number];

interface ValidateFlags extends SecretPolicyFlags {
  format: string;
  resolveSecrets?: boolean;
}

export function validateCommand(): Command {
  const command = new Command("validate")
    .description(
      "check integration files or folders exactly as `run` would load them, secrets and CA files aside (see --resolve-secrets)",
    )
    .argument("[paths...]", "files or folders (default: $HOOKSWITCH_DIR or ./integrations.d)")
    .addOption(
      new Option("--format <format>", "output: text, json or github (annotations)")
        .env("HOOKSWITCH_VALIDATE_FORMAT")
        .default("text"),
    )
    .addOption(
      new Option(
        "--resolve-secrets",
        "also check that every ${env:…}/${file:…} reference resolves and every webhook.tls.ca file can be read, as `run` does",
      ).env("HOOKSWITCH_RESOLVE_SECRETS"),
    );
  return addSecretPolicyOptions(command).action(async (paths: string[], flags: ValidateFlags) => {
    const format = parseFormat(flags.format);
    const targets = paths.length > 0 ? paths : [envText("HOOKSWITCH_DIR") ?? "./integrations.d"];
    const missing = targets.filter((p) => !existsSync(p));
    if (missing.length > 0) throw new UsageError(missingMessage(missing));
    const result = await loadIntegrations(targets, {
      secrets: flags.resolveSecrets ? "resolve" : "keep",
      secretPolicy: secretPolicyOf(flags),
      checkEditorSchema: true,
    });
    const folder = oneFolder(targets);
    const digest = folder === undefined ? undefined : digestOfValid(folder, result.files);
    process.stdout.write(render(result, format, digest));
    if (result.problems.length > 0) throw new ExitError(1);
  });
}

/**
 * A path given with bytes that are not UTF-8 reaches Node.js with U+FFFD in their place, and
 * so names nothing: "no such file" alone would send the user looking for a typo.
 */
function missingMessage(missing: readonly string[]): string {
  const said = `no such file or folder: ${missing.join(", ")}`;
  return missing.some((p) => p.includes("\uFFFD"))
    ? `${said} (a name that is not UTF-8 text, shown with \uFFFD for each byte that is not, cannot be opened: rename it, or validate its folder)`
    : said;
}

/**
 * The folder whose digest is printed: only when one folder is checked, as `run --dir` reads
 * one. Paths in the digest are relative to it, so files named one by one have none.
 */
function oneFolder(targets: readonly string[]): string | undefined {
  const [only, ...more] = targets;
  if (only === undefined || more.length > 0) return undefined;
  return statSync(only).isDirectory() ? only : undefined;
}

function parseFormat(value: string): Format {
  const format = value.toLowerCase();
  if ((FORMATS as readonly string[]).includes(format)) return format as Format;
  throw new UsageError(`--format must be text, json or github (got "${value}")`);
}

function render(result: LoadResult, format: Format, digest: string | undefined): string {
  if (format === "json") return `${JSON.stringify(toJson(result, digest), null, 2)}\n`;
  const line = format === "github" ? githubLine : textLine;
  const lines = inFileOrder([
    ...result.problems.map((p) => ({ p, warning: false })),
    ...result.warnings.map((p) => ({ p, warning: true })),
  ]).map(({ p, warning }) => line(p, warning));
  return [...lines, summary(result, digest)].join("\n") + "\n";
}

type Reported = { p: Problem; warning: boolean };

/** Problems and warnings together, as a compiler lists them: by file, line and column. */
function inFileOrder(list: Reported[]): Reported[] {
  return list.sort(
    ({ p: a }, { p: b }) => compareText(a.file, b.file) || a.line - b.line || a.column - b.column,
  );
}

/**
 * A file name (and a message that quotes one) may hold a line break or an escape sequence:
 * shown printable, one line per problem and nothing that acts on the terminal. `--format
 * json` keeps the exact names.
 */
export function textLine(p: Problem, warning = false): string {
  return printable(`${p.file}:${p.line}:${p.column}: ${warning ? "warning: " : ""}${p.message}`);
}

/** Line breaks are encoded as GitHub reads them back; other control characters become �. */
export function githubLine(p: Problem, warning: boolean): string {
  const property = (s: string) => escapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");
  const command = warning ? "warning" : "error";
  return `::${command} file=${property(p.file)},line=${p.line},col=${p.column}::${escapeData(p.message)}`;
}

function escapeData(s: string): string {
  return printable(s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A"));
}

/** With the digest a daemon reports for these files (`run` serves the valid ones alone). */
function summary(result: LoadResult, digest: string | undefined): string {
  const counts = `${plural(result.files.length, "file")}, ${plural(result.integrations.length, "integration")}`;
  const verdict =
    result.problems.length === 0 ? "all valid" : plural(countProblems(result.problems), "problem");
  const warnings =
    result.warnings.length > 0 ? `, ${plural(countProblems(result.warnings), "warning")}` : "";
  const named = digest === undefined ? "" : `; config digest ${digest}`;
  return `${counts}: ${verdict}${warnings}${named}`;
}

/** Never the integrations themselves: they hold resolved secrets. */
function toJson(result: LoadResult, digest: string | undefined) {
  return {
    valid: result.problems.length === 0,
    configDigest: digest ?? null,
    files: result.files.map((f) => ({
      file: f.file,
      hash: f.hash,
      valid: f.problems.length === 0,
      integrations: f.integrations.map((i) => i.name),
    })),
    integrations: result.integrations.map((i) => ({
      name: i.name,
      file: i.source.file,
      line: i.source.line,
      column: i.source.column,
      enabled: i.enabled,
      scope: shownScope(i),
      trigger: i.trigger,
    })),
    problems: result.problems,
    warnings: result.warnings,
  };
}
