/**
 * `hookswitch validate [PATH…]`: loads files exactly as `run` does and reports every
 * problem as `file:line:col: message`, and every warning (a secret in clear) as
 * `file:line:col: warning: message`. Exit 0 valid (warnings or not), 1 invalid, 2 usage error.
 */
import { existsSync } from "node:fs";
import { Command, Option } from "commander";
import { loadIntegrations, type LoadResult } from "../config/load/load.js";
import { countProblems } from "../config/load/load-file.js";
import { shownScope } from "../config/shown.js";
import { compareText } from "../config/load/discover.js";
import { plural } from "../config/text.js";
import type { Problem } from "../config/types.js";
import { ExitError, UsageError } from "../errors.js";
import { printable } from "../output/printable.js";
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
    .description("check integration files or folders exactly as `run` would load them")
    .argument("[paths...]", "files or folders (default: $HOOKSWITCH_DIR or ./integrations.d)")
    .addOption(
      new Option("--format <format>", "output: text, json or github (annotations)")
        .env("HOOKSWITCH_VALIDATE_FORMAT")
        .default("text"),
    )
    .addOption(
      new Option(
        "--resolve-secrets",
        "also check that every ${env:…}/${file:…} reference resolves",
      ).env("HOOKSWITCH_RESOLVE_SECRETS"),
    );
  return addSecretPolicyOptions(command).action(async (paths: string[], flags: ValidateFlags) => {
    const format = parseFormat(flags.format);
    const targets = paths.length > 0 ? paths : [process.env.HOOKSWITCH_DIR || "./integrations.d"];
    const missing = targets.filter((p) => !existsSync(p));
    if (missing.length > 0) throw new UsageError(`no such file or folder: ${missing.join(", ")}`);
    const result = await loadIntegrations(targets, {
      secrets: flags.resolveSecrets ? "resolve" : "keep",
      secretPolicy: secretPolicyOf(flags),
    });
    process.stdout.write(render(result, format));
    if (result.problems.length > 0) throw new ExitError(1);
  });
}

function parseFormat(value: string): Format {
  if ((FORMATS as readonly string[]).includes(value)) return value as Format;
  throw new UsageError(`--format must be text, json or github (got "${value}")`);
}

function render(result: LoadResult, format: Format): string {
  if (format === "json") return `${JSON.stringify(toJson(result), null, 2)}\n`;
  const line = format === "github" ? githubLine : textLine;
  const lines = inFileOrder([
    ...result.problems.map((p) => ({ p, warning: false })),
    ...result.warnings.map((p) => ({ p, warning: true })),
  ]).map(({ p, warning }) => line(p, warning));
  return [...lines, summary(result)].join("\n") + "\n";
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
function githubLine(p: Problem, warning: boolean): string {
  const property = (s: string) => escapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");
  const command = warning ? "warning" : "error";
  return `::${command} file=${property(p.file)},line=${p.line},col=${p.column}::${escapeData(p.message)}`;
}

function escapeData(s: string): string {
  return printable(s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A"));
}

function summary(result: LoadResult): string {
  const counts = `${plural(result.files.length, "file")}, ${plural(result.integrations.length, "integration")}`;
  const verdict =
    result.problems.length === 0 ? "all valid" : plural(countProblems(result.problems), "problem");
  const warnings =
    result.warnings.length > 0 ? `, ${plural(countProblems(result.warnings), "warning")}` : "";
  return `${counts}: ${verdict}${warnings}`;
}

/** Never the integrations themselves: they hold resolved secrets. */
function toJson(result: LoadResult) {
  return {
    valid: result.problems.length === 0,
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
