/** The values of `emit`'s flags that are no plain text: a yes or no, a list. */

/** `--voicemail true|false` (also yes/no, 1/0). */
export function parseBooleanFlag(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  if (["true", "yes", "1"].includes(v)) return true;
  if (["false", "no", "0"].includes(v)) return false;
  return undefined;
}

/** `--calls Local,National` → ["Local", "National"]; empty string → []. */
export function parseCallList(value: string): string[] {
  return value
    .split(",")
    .map((c) => c.trim())
    .filter((c) => c !== "");
}
