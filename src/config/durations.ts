/**
 * Durations as written in integration files: a whole number and a unit, e.g. `250ms`,
 * `10s`, `5m`, `1h`. The schema's `DURATION_PATTERN` accepts exactly what `parseDuration` parses.
 */

export const DURATION_PATTERN = "^[0-9]{1,9}(ms|s|m|h)$";

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
const DURATION = new RegExp(DURATION_PATTERN);

/** Milliseconds for a duration string, or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match) return undefined;
  const unit = match[1] as keyof typeof UNIT_MS;
  return Number.parseInt(text, 10) * UNIT_MS[unit];
}

/** The written duration in ms, `fallbackMs` when none is written, undefined when malformed. */
export function durationOr(written: string | undefined, fallbackMs: number): number | undefined {
  return written === undefined ? fallbackMs : parseDuration(written);
}

/** Short human form of a number of milliseconds, e.g. `1h`, `90s`, `250ms`. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1_000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
