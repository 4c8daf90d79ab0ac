/**
 * Sizes as written on the command line: a whole number of bytes, or of KiB or MiB
 * (`65536`, `64KiB`, `1MiB`).
 */

const SIZE = /^([0-9]{1,10})(B|KiB|MiB)?$/;
const UNIT_BYTES = { B: 1, KiB: 1024, MiB: 1024 * 1024 } as const;

/** Bytes for a size, or undefined when the text is not one. */
export function parseSize(text: string): number | undefined {
  const match = SIZE.exec(text.trim());
  if (!match) return undefined;
  const unit = (match[2] ?? "B") as keyof typeof UNIT_BYTES;
  return Number.parseInt(match[1]!, 10) * UNIT_BYTES[unit];
}

/** Short form of a number of bytes: `64 KiB`, `1 MiB`, or bytes when neither is whole. */
export function formatSize(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}
