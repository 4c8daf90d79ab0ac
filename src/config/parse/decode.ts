/**
 * Bytes -> text: integration files are UTF-8. What is not is refused before the YAML parser
 * sees it, at the first byte that is not, with what the file most likely is instead.
 */
import { isUtf8 } from "node:buffer";
import type { Position } from "./parse.js";

const AS_UTF8 = "integration files are UTF-8 YAML";

/** Rejects content that is not UTF-8 text before the YAML parser sees it. */
export function decodeText(
  bytes: Uint8Array,
): { ok: true; text: string } | ({ ok: false; message: string } & Partial<Position>) {
  if (isUtf16(bytes)) {
    return {
      ok: false,
      message: `the file is UTF-16 text (what some Windows editors call "Unicode"): save it as UTF-8; ${AS_UTF8}`,
    };
  }
  const nul = bytes.indexOf(0);
  if (nul !== -1) {
    return {
      ok: false,
      message: `not a text file (a NUL byte); ${AS_UTF8}`,
      ...positionOf(bytes, nul),
    };
  }
  try {
    return { ok: true, text: new TextDecoder("utf-8", { fatal: true }).decode(bytes) };
  } catch {
    return { ok: false, message: `not valid UTF-8 text; ${AS_UTF8}`, ...firstInvalidUtf8(bytes) };
  }
}

/** How many bytes of the start are looked at to tell UTF-16 without a byte-order mark. */
const SAMPLE = 256;

/**
 * UTF-16 with its byte-order mark (FF FE or FE FF, never the start of UTF-8), or without it:
 * YAML is mostly ASCII, which UTF-16 writes as a byte and a zero, so in every other byte of
 * the start most are zero and in the bytes between next to none are.
 */
function isUtf16(bytes: Uint8Array): boolean {
  const [first, second] = bytes;
  if ((first === 0xff && second === 0xfe) || (first === 0xfe && second === 0xff)) return true;
  const pairs = Math.floor(Math.min(bytes.length, SAMPLE) / 2);
  if (pairs === 0) return false;
  let [even, odd] = [0, 0];
  for (let i = 0; i < pairs * 2; i += 2) {
    if (bytes[i] === 0) even++;
    if (bytes[i + 1] === 0) odd++;
  }
  const [many, few] = even > odd ? [even, odd] : [odd, even];
  return many * 2 >= pairs && few * 8 <= many;
}

/** The line and column of a byte, the column counted in the characters before it. */
function positionOf(bytes: Uint8Array, offset: number): Position {
  const lineStart = bytes.lastIndexOf(0x0a, offset) + 1;
  let line = 1;
  for (let i = 0; i < lineStart; i++) if (bytes[i] === 0x0a) line++;
  const before = new TextDecoder("utf-8").decode(bytes.subarray(lineStart, offset));
  return { line, column: before.length + 1 };
}

/**
 * Where the first byte that is not UTF-8 is. A line feed byte is never part of a longer
 * UTF-8 sequence, so lines can be checked one by one; the column counts the characters
 * decoded before the bad byte.
 */
function firstInvalidUtf8(bytes: Uint8Array): Position | undefined {
  let start = 0;
  for (let line = 1; start <= bytes.length; line++) {
    const end = bytes.indexOf(0x0a, start);
    const lineBytes = bytes.subarray(start, end === -1 ? bytes.length : end);
    if (!isUtf8(lineBytes)) return { line, column: firstReplacedColumn(lineBytes) };
    if (end === -1) return undefined;
    start = end + 1;
  }
  return undefined;
}

/**
 * The column of the first character the decoder had to replace: a U+FFFD written in the file
 * (the bytes EF BF BD) is text like any other, and the bad byte may come after it.
 */
function firstReplacedColumn(lineBytes: Uint8Array): number {
  const decoded = new TextDecoder("utf-8").decode(lineBytes);
  let at = 0; // in bytes
  let column = 1; // in UTF-16 code units, as the YAML positions count
  for (const c of decoded) {
    const written =
      lineBytes[at] === 0xef && lineBytes[at + 1] === 0xbf && lineBytes[at + 2] === 0xbd;
    if (c === "\ufffd" && !written) return column;
    at += Buffer.byteLength(c);
    column += c.length;
  }
  return 1;
}
