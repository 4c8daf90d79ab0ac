/**
 * `hookswitch render NAME|FILE --event EVENT.json|-`: prints the exact request an
 * integration would send for an event, without sending anything.
 *
 * Exit codes: 0 rendered; 1 the event is unreadable or invalid, the integration is
 * unknown, cannot be loaded, or does not match the event (disabled included: a
 * disabled integration sends nothing), or the event leaves a path argument empty (no
 * request is made); 2 usage (e.g. no --event).
 *
 * An integration is rendered even when other integrations of its file have problems
 * (with a note: `run` leaves that file out); its own problems, and those of the file as
 * a whole, block it.
 */
import { stat } from "node:fs/promises";
import { dirname } from "node:path";
import { Command, Option } from "commander";
import {
  isFileValid,
  loadFile,
  loadIntegrations,
  type FileResult,
  type LoadOptions,
} from "../config/load/load.js";
import type { Integration, Problem } from "../config/types.js";
import { maskedRequest } from "../delivery/mask.js";
import { renderRequest } from "../delivery/render.js";
import { RequestTooLargeError, TOO_LARGE_ADVICE } from "../delivery/request-size.js";
import type { Rendering, WebhookRequest } from "../delivery/types.js";
import { ExitError } from "../errors.js";
import { explainMismatch } from "../events/match.js";
import { parseEvent } from "../events/parse.js";
import type { PbxEvent } from "../events/types.js";
import { readEventInput } from "./options/event-input.js";
import { printable } from "../output/printable.js";
import {
  addSecretPolicyOptions,
  secretPolicyOf,
  type SecretPolicyFlags,
} from "./options/secret-options.js";
import { textLine } from "./validate.js";

interface RenderOptions extends SecretPolicyFlags {
  event: string;
  dir: string;
  json?: boolean;
  showSecrets?: boolean;
}

export function renderCommand(): Command {
  return addSecretPolicyOptions(
    new Command("render")
      .description(
        "print the exact request an integration would send for an event, without sending it",
      )
      // Usage errors must reach cli.ts (exit 2); addCommand does not inherit the override.
      .exitOverride()
      .argument("<integration>", "integration name (looked up in --dir) or an integration file")
      .addOption(
        new Option("--event <file>", "the event as a JSON file, or - for standard input")
          .env("HOOKSWITCH_EVENT")
          .makeOptionMandatory(),
      )
      .addOption(
        new Option("--dir <dir>", "folder of integration files")
          .env("HOOKSWITCH_DIR")
          .default("./integrations.d"),
      )
      .addOption(
        new Option("--json", 'print {"method","url","headers","body"} as JSON').env(
          "HOOKSWITCH_RENDER_JSON",
        ),
      )
      .addOption(
        new Option("--show-secrets", "print secrets instead of ****").env(
          "HOOKSWITCH_SHOW_SECRETS",
        ),
      ),
  ).action(async (target: string, options: RenderOptions) => {
    const event = await readEvent(options.event);
    const load = { secrets: "resolve", secretPolicy: secretPolicyOf(options) } as const;
    const integration = await findIntegration(target, options.dir, load);
    const mismatch = explainMismatch(integration, event);
    if (mismatch) fail(`the event does not match: ${mismatch}`);
    const now = new Date();
    const request = renderOrRefuse(integration, event, now);
    if ("unsendable" in request) {
      fail(
        `no request: ${request.unsendable}, and a request with an empty path segment would go ` +
          "to another URL (`hookswitch run` dead-letters such a delivery unsent)",
      );
    }
    const shown = options.showSecrets ? request : maskedRequest(integration, request, event, now);
    process.stdout.write(options.json ? formatJson(shown) : formatText(shown));
  });
}

/** The request, or a refusal when the event makes it larger than hookswitch sends. */
function renderOrRefuse(integration: Integration, event: PbxEvent, now: Date): Rendering {
  try {
    return renderRequest(integration, event, now);
  } catch (error) {
    if (!(error instanceof RequestTooLargeError)) throw error;
    fail(
      `no request: ${error.message}, and a request that large is not sent (\`hookswitch run\` ` +
        `dead-letters such a delivery unsent): ${TOO_LARGE_ADVICE}`,
    );
  }
}

/** Messages quote the event (its account, a JSON error's excerpt): printed harmless. */
function fail(message: string): never {
  process.stderr.write(`hookswitch render: ${printable(message)}\n`);
  throw new ExitError(1);
}

async function readEvent(source: string): Promise<PbxEvent> {
  const label = source === "-" ? "standard input" : source;
  let bytes: Uint8Array;
  try {
    bytes = await readEventInput(source);
  } catch (err) {
    fail(`cannot read the event from ${label}: ${(err as Error).message}`);
  }
  const parsed = parseEvent(bytes);
  if (!parsed.ok) fail(`${label} is not a valid event: ${parsed.reason}`);
  return parsed.event;
}

/** An existing path is an integration file; anything else is a name in `dir`. */
async function findIntegration(
  target: string,
  dir: string,
  load: LoadOptions,
): Promise<Integration> {
  const isPath = await stat(target).then(
    (s) => s.isFile(),
    () => false,
  );
  return isPath ? fromFile(target, load) : byName(target, dir, load);
}

/**
 * The file form renders a file's only integration. A file of several is ambiguous
 * whatever their problems, so that is said first: by name, one renders even while
 * another integration of its file has problems.
 */
async function fromFile(file: string, load: LoadOptions): Promise<Integration> {
  const result = await loadFile(file, load);
  const names = namesIn(result);
  if (names.length > 1) {
    fail(
      `${file} holds several integrations (${names.join(", ")}); ` +
        `render one by name with --dir ${dirname(file)}`,
    );
  }
  if (!isFileValid(result)) {
    reportProblems(result.problems);
    fail(`${file} cannot be loaded: fix the problems above`);
  }
  const [only] = result.integrations;
  if (!only) fail(`${file} holds no integration`);
  return only;
}

async function byName(name: string, dir: string, load: LoadOptions): Promise<Integration> {
  const isFolder = await stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isFolder) {
    fail(
      `no file ${name}, and no folder ${dir} to look for an integration of that name in (--dir)`,
    );
  }
  const { files, integrations } = await loadIntegrations([dir], load);
  // First what `run` serves; then one held back only by other integrations of its file.
  const found =
    integrations.find((i) => i.name === name) ??
    files.flatMap(renderable).find((i) => i.name === name);
  if (found) {
    noteOtherProblems(found, files);
    return found;
  }
  const homes = files.filter((f) => namesIn(f).includes(name));
  if (homes.length > 0) {
    reportProblems(homes.flatMap((f) => f.problems.filter((p) => blocks(p, name))));
    fail(`integration ${name} cannot be loaded: fix the problems above`);
  }
  fail(`no integration named ${name} in ${dir} (and no such file); ${namesThere(files)}`);
}

/** Every name the folder's files define, those that cannot load too: the one meant may be one. */
function namesThere(files: readonly FileResult[]): string {
  const loadable = new Set(files.flatMap(renderable).map((i) => i.name));
  const names = [...new Set(files.flatMap(namesIn))].sort();
  if (names.length === 0) return "it defines no integration";
  const shown = names.map((n) => (loadable.has(n) ? n : `${n} (held back by problems)`));
  return `integrations there: ${shown.join(", ")}`;
}

/**
 * Whether a problem keeps the integration `name` from rendering: one of its own, or one
 * no integration owns (a YAML syntax error, an unreadable file), which may hide it.
 */
function blocks(problem: Problem, name: string): boolean {
  return problem.integration === undefined || problem.integration === name;
}

/** The integrations of a file that no problem of their own or of the file holds back. */
function renderable(file: FileResult): Integration[] {
  return file.integrations.filter((i) => !file.problems.some((p) => blocks(p, i.name)));
}

/** Every name a file defines, loaded or not, in file order (documents do not overlap). */
function namesIn(file: FileResult): string[] {
  const at = [
    ...file.integrations.map((i) => ({ line: i.source.line, name: i.name })),
    ...file.problems.flatMap((p) => (p.integration ? [{ line: p.line, name: p.integration }] : [])),
  ];
  return [...new Set(at.sort((a, b) => a.line - b.line).map((n) => n.name))];
}

/** Rendered from a file `run` leaves out: say so, or the output suggests it is live. */
function noteOtherProblems(integration: Integration, files: readonly FileResult[]): void {
  const home = files.find((f) => f.file === integration.source.file);
  if (!home || isFileValid(home)) return;
  const others = new Set(home.problems.map((p) => p.integration));
  const note =
    `note: ${home.file} has problems in other integrations ` +
    `(${[...others].join(", ")}); run leaves a file with any problem out as a whole ` +
    `(see hookswitch validate --resolve-secrets ${home.file})`;
  process.stderr.write(`hookswitch render: ${printable(note)}\n`);
}

function reportProblems(problems: readonly Problem[]): void {
  for (const p of problems) {
    process.stderr.write(`${textLine(p)}\n`);
  }
}

/**
 * Header values are byte strings (non-ASCII text as UTF-8 bytes, one character each);
 * written back as text, they print exactly the bytes that go on the wire.
 */
function displayHeaders(headers: Record<string, string>): [string, string][] {
  return Object.entries(headers).map(([name, value]) => [
    name,
    /[^\t\x20-\x7e]/.test(value) ? Buffer.from(value, "latin1").toString("utf8") : value,
  ]);
}

/** Like an HTTP request: request line, headers, blank line, body. */
function formatText(request: WebhookRequest): string {
  const lines = [`${request.method} ${request.url}`];
  for (const [name, value] of displayHeaders(request.headers)) lines.push(`${name}: ${value}`);
  lines.push("");
  if (request.body !== null) lines.push(request.body);
  return `${lines.join("\n")}\n`;
}

function formatJson(request: WebhookRequest): string {
  const { method, url, body } = request;
  const headers = Object.fromEntries(displayHeaders(request.headers));
  return `${JSON.stringify({ method, url, headers, body }, null, 2)}\n`;
}
