/**
 * One YAML document -> one Integration or its problems: schema, secret references,
 * semantic rules, then defaults. The only IO is through the given `SecretSources`
 * and `readCa` (both supplied by the loader).
 */
import type { ParsedDocument } from "./parse.js";
import type { PathSegment } from "../text.js";
import type { RawIntegration } from "./raw.js";
import {
  repeatedSigningSecrets,
  secretsInClear,
  shortSigningSecrets,
} from "../rules/clear-secrets.js";
import { emptyableSegments } from "../rules/empty-segments.js";
import { textSentAsWritten } from "../rules/sent-as-written.js";
import { nearMissPlaceholders } from "../rules/near-placeholders.js";
import { deniedAddress, strayPercent, writtenFragment } from "../rules/url-rules.js";
import { unpublishableAccount } from "../rules/scope-rules.js";
import {
  applyReferences,
  type ReferenceResult,
  type ResolvedSecrets,
  type SecretMode,
} from "../references.js";
import { checkRules, RULES, type RuleProblem } from "../rules/rules.js";
import { describeSchemaErrors, type SchemaIssue } from "./schema-errors.js";
import { isMapping } from "./schema-messages.js";
import { schemaErrors } from "./schema.js";
import type { SecretSources } from "../secrets.js";
import type { Integration, Problem } from "../types.js";
import { toIntegration } from "./normalize.js";
import { numbersNotAsWritten } from "./written-numbers.js";
import { whyUnreadable } from "../../regular-file.js";

export interface DocumentContext {
  file: string;
  mode: SecretMode;
  sources: SecretSources;
  /**
   * Reads `webhook.tls.ca` (resolve mode only) and checks it, once per file for all its
   * documents; throws with a message for the user.
   */
  readCa: (path: string) => CaRead;
}

/** A CA file's text, and what is wrong with it as a CA (`caBundleProblem`), if anything. */
export interface CaRead {
  text: string;
  problem: string | undefined;
}

export interface DocumentResult {
  integration: Integration | undefined;
  problems: Problem[];
  /** Not wrong, but worth a word: a secret written in clear, a path argument that may be empty. */
  warnings: Problem[];
  /** The document's `name` when it has one, valid or not. */
  name: string | undefined;
  /** Where the `name` of a document that did not load is written (see `FileResult.unloaded`). */
  nameAt?: { line: number; column: number };
}

export function loadDocument(doc: ParsedDocument, context: DocumentContext): DocumentResult {
  const name = nameOf(doc.data);
  const { problem, fromRules } = documentProblems(doc, context.file, name);
  // Located only for a document that did not load, whose problems are located already.
  const unloaded = () => ({ integration: undefined, name, ...nameWhere(doc, name) });
  if (doc.problems.length > 0) {
    const slips = doc.problems.map((p) => problem(p.line, p.column, p.message));
    // Read despite its slips (duplicate keys): its other problems are said in the same round.
    const rest =
      doc.data === undefined ? undefined : loadDocument({ ...doc, problems: [] }, context);
    return {
      ...unloaded(),
      problems: [...slips, ...(rest?.problems ?? [])],
      warnings: rest?.warnings ?? [],
    };
  }
  const issues = describeSchemaErrors(schemaErrors(doc.data), doc.data);
  if (issues.length > 0) {
    return {
      ...unloaded(),
      problems: fromRules([...issues, ...rulesBeside(issues, doc)]),
      warnings: fromRules(secretsInClear(doc.data)),
    };
  }

  const raw = doc.data as RawIntegration;
  const references = applyReferences(raw, context.mode, context.sources);
  const value = references.value as RawIntegration;
  const warnings = fromRules([
    ...secretsInClear(raw),
    ...shortSigningSecrets(value),
    ...repeatedSigningSecrets(value),
    ...emptyableSegments(raw),
    ...nearMissPlaceholders(raw),
    ...textSentAsWritten(raw),
    ...writtenFragment(raw),
    ...strayPercent(raw),
    ...deniedAddress(raw),
    ...unpublishableAccount(raw, value),
  ]);
  const judged = judgeReferenced(doc, references, context);
  if (judged.problems.length > 0) {
    return { ...unloaded(), problems: fromRules(judged.problems), warnings };
  }
  const integration = integrationOf(doc, references, judged.tlsCa, context);
  return { integration, name, problems: [], warnings };
}

/** Makes this document's problems: in its file, under its integration's name if it has one. */
function documentProblems(doc: ParsedDocument, file: string, name: string | undefined) {
  const problem = (line: number, column: number, message: string): Problem => ({
    file,
    line,
    column,
    message,
    ...(name !== undefined ? { integration: name } : {}),
  });
  const fromRules = (list: RuleProblem[]) =>
    list.map((p) => {
      const at = doc.locate(p.path, p.onKey);
      return problem(at.line, at.column, p.message);
    });
  return { problem, fromRules };
}

/**
 * What is wrong with a document of the right shape once its references are applied: the
 * references' problems, the rules', and the CA file's; and the CA's text when it is read.
 */
function judgeReferenced(
  doc: ParsedDocument,
  references: ReferenceResult,
  context: DocumentContext,
): { problems: RuleProblem[]; tlsCa: string | undefined } {
  const raw = doc.data as RawIntegration;
  const value = references.value as RawIntegration;
  // A reference left as written keeps its text: rules judge every other value all the same.
  const resolved = context.mode === "resolve";
  const { unresolved } = references;
  const ruleProblems = [
    ...checkRules({ raw, value, resolved, unresolved }),
    ...numbersNotAsWritten(doc),
  ];
  const tls = readTlsCa(value, raw.webhook.tls?.ca, context);
  return { problems: [...references.problems, ...ruleProblems, ...tls.problems], tlsCa: tls.ca };
}

/** The integration of a document without problems. */
function integrationOf(
  doc: ParsedDocument,
  references: ReferenceResult,
  tlsCa: string | undefined,
  context: DocumentContext,
): Integration {
  const raw = doc.data as RawIntegration;
  // Where its name is written: what a duplicate name, the status page and `validate --format
  // json` point at (a plain file's name is found without a second parse).
  const nameAt = doc.locate(["name"]);
  const source = { file: context.file, line: nameAt.line, column: nameAt.column };
  const marked = references.secrets.some(({ path }) => isShownPath(path))
    ? applyReferences(raw, "mark", context.sources)
    : undefined;
  return toIntegration({
    value: references.value as RawIntegration,
    source,
    literals: references.literals,
    ...(marked
      ? {
          references: {
            written: raw,
            marked: marked.value as RawIntegration,
            markedLiterals: marked.literals,
          },
        }
      : {}),
    sentSecrets: references.secrets.filter(isSent).flatMap((s) => s.values),
    tlsCa,
  });
}

/**
 * The rules' problems away from the schema's, so that one round of fixes sees them all: the
 * rules judge the document as written, and where the schema found a value of the wrong
 * shape a rule may misjudge it, or throw, so nothing at or below (or above) such a place
 * is kept.
 */
function rulesBeside(issues: readonly SchemaIssue[], doc: ParsedDocument): RuleProblem[] {
  const webhook = isMapping(doc.data) ? doc.data.webhook : undefined;
  if (!isMapping(webhook)) return [];
  const raw = doc.data as RawIntegration;
  const input = { raw, value: raw, resolved: false };
  const judged = RULES.flatMap((rule) => {
    try {
      return rule(input);
    } catch {
      return [];
    }
  });
  return [...judged, ...numbersNotAsWritten(doc)].filter((p) =>
    issues.every(({ path, about = path }) => !isPrefix(about, p.path) && !isPrefix(p.path, about)),
  );
}

function isPrefix(prefix: readonly PathSegment[], path: readonly PathSegment[]): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => segment === path[i]);
}

/**
 * A value output shows, so that a secret put there needs a marked twin: all but `auth` and
 * `signing`, whose Authorization header and signature are always masked whole.
 */
function isShownPath(path: readonly PathSegment[]): boolean {
  return !(path[0] === "webhook" && (path[1] === "auth" || path[1] === "signing"));
}

/**
 * A reference whose secret goes to the receiver (in the URL, a header, the payload or the
 * Authorization header), which its answer may echo. Every `auth` field that takes one is
 * sent: the token, and the username beside the password (an API key as the username is
 * how several APIs are called; a username written in clear is no secret and not masked).
 * `signing` secrets never leave; they are read from the webhook and masked all the same.
 */
function isSent({ path }: ResolvedSecrets): boolean {
  return path[0] === "webhook" && SENT_PLACES.has(path[1] ?? "");
}

const SENT_PLACES: ReadonlySet<PathSegment> = new Set([
  "url",
  "pathArguments",
  "headers",
  "fields",
  "auth",
]);

function nameWhere(doc: ParsedDocument, name: string | undefined) {
  if (name === undefined) return {};
  const { line, column } = doc.locate(["name"]);
  return { nameAt: { line, column } };
}

function nameOf(data: unknown): string | undefined {
  if (data === null || typeof data !== "object" || Array.isArray(data)) return undefined;
  const name = (data as { name?: unknown }).name;
  return typeof name === "string" ? name : undefined;
}

/** Reads the CA; messages name its path as written, which a secret reference may hide. */
function readTlsCa(
  value: RawIntegration,
  written: string | undefined,
  context: DocumentContext,
): { ca: string | undefined; problems: RuleProblem[] } {
  const path = value.webhook.tls?.ca;
  if (path === undefined || context.mode === "keep") return { ca: undefined, problems: [] };
  const shown = written ?? path;
  try {
    const { text: ca, problem } = context.readCa(path);
    if (problem === undefined) return { ca, problems: [] };
    return {
      ca: undefined,
      problems: [
        { path: ["webhook", "tls", "ca"], message: `webhook.tls.ca: ${shown} ${problem}` },
      ],
    };
  } catch (err) {
    const reason = whyUnreadable(err);
    return {
      ca: undefined,
      problems: [
        {
          path: ["webhook", "tls", "ca"],
          message: `webhook.tls.ca: ${shown} cannot be read (${reason})`,
        },
      ],
    };
  }
}
