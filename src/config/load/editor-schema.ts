/**
 * The editor's schema comment (`# yaml-language-server: $schema=../schemas/…`): a relative
 * path is read from the file's folder, so a file copied into a subfolder, or a `../` too
 * few, points at nothing, and the editor stops checking the file without a word. `validate`
 * says so; the daemon does not, as its files are often mounted where no schema is.
 */
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Problem } from "../types.js";

const SCHEMA_COMMENT = /^(\s*#\s*yaml-language-server:\s*\$schema=)(\S+)/;

/** A URL (`https:`, `file:`) is the editor's to fetch: only a path is checked. */
const URL_LIKE = /^[a-z][a-z0-9+.-]*:/i;

/** Warnings for each schema comment of `text` whose path leads to no file. */
export function editorSchemaWarnings(
  file: string,
  text: string,
  exists: (path: string) => boolean = existsSync,
): Problem[] {
  const warnings: Problem[] = [];
  const lines = text.split("\n");
  for (const [index, line] of lines.entries()) {
    const found = SCHEMA_COMMENT.exec(line);
    if (!found || URL_LIKE.test(found[2]!)) continue;
    const target = found[2]!;
    if (exists(resolve(dirname(file), target))) continue;
    warnings.push({
      file,
      line: index + 1,
      column: found[1]!.length + 1,
      message:
        `the editor's schema comment points at ${target}, which does not exist from this ` +
        `file's folder: the editor checks nothing; write one ../ per folder level up to schemas/`,
    });
  }
  return warnings;
}
