/**
 * One reference's secret: an environment variable's value, or a secret file's text as the
 * secret it holds (without what editors and tools add around it). Messages name the
 * variable or file, and where a relative file was looked for, never a value.
 */
import { isAbsolute } from "node:path";
import type { Segment, SecretSources } from "./secrets.js";
import { whyUnreadable } from "../regular-file.js";

type Reference = Exclude<Segment, { kind: "text" }>;

/** A secret file refused because the files named before it used up what one file may read. */
export class SecretBudgetError extends Error {
  override name = "SecretBudgetError";
}

export function readReference(
  reference: Reference,
  sources: SecretSources,
): { ok: true; value: string } | { ok: false; message: string; budget?: true } {
  if (reference.kind === "env") {
    const value = sources.env[reference.name];
    if (value === undefined) {
      return { ok: false, message: `environment variable ${reference.name} is not set` };
    }
    return { ok: true, value };
  }
  try {
    return { ok: true, value: secretFileText(sources.readFile(reference.path)) };
  } catch (err) {
    const message = `secret file ${shownPath(reference.path, sources)} cannot be read (${whyUnreadable(err)})`;
    return err instanceof SecretBudgetError
      ? { ok: false, message, budget: true }
      : { ok: false, message };
  }
}

/**
 * A relative path as written and, beside it, the file it was looked for at: it is relative
 * to the integration file's folder, which the reader of the message may not have in mind.
 */
function shownPath(path: string, sources: SecretSources): string {
  if (isAbsolute(path) || !sources.locate) return path;
  return `${path} (${sources.locate(path)})`;
}

/**
 * The secret a file holds. Kubernetes secret files and `echo`-written files end with a
 * newline, and Windows Notepad starts a file it saves as UTF-8 with a byte-order mark;
 * neither is part of a secret (the mark was sent as three bytes before a bearer token).
 */
export function secretFileText(text: string): string {
  return trimTrailingNewlines(text.startsWith("\ufeff") ? text.slice(1) : text);
}

/** Drops the line ends at the end of a text, and only those: spaces may be part of a secret. */
export function trimTrailingNewlines(text: string): string {
  // A loop, not /[\r\n]+$/: that pattern retries from every newline of a run that does not
  // end the text, and a secret file of 200,000 newlines then one letter took 20 s.
  let end = text.length;
  while (end > 0 && (text[end - 1] === "\n" || text[end - 1] === "\r")) end--;
  return end === text.length ? text : text.slice(0, end);
}
