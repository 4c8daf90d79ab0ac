/** Lines of a file's text, by offset: where the YAML messages point. */

/** Where the line holding `offset` starts. */
export function lineStart(text: string, offset: number): number {
  return text.lastIndexOf("\n", offset - 1) + 1;
}

/** The text from `offset` to the end of its line. */
export function restOfLine(text: string, offset: number): string {
  const lineEnd = text.indexOf("\n", offset);
  return text.slice(offset, lineEnd < 0 ? undefined : lineEnd);
}
