import { describe, expect, it } from "vitest";
import { decodeText } from "../../../src/config/parse/decode.js";

const YAML = "apiVersion: hookswitch/v1\nname: crm\n";
const utf16le = (text: string) => Buffer.from(text, "utf16le");
const utf16be = (text: string) => utf16le(text).swap16();
const UTF16 =
  'the file is UTF-16 text (what some Windows editors call "Unicode"): save it as UTF-8; integration files are UTF-8 YAML';
const NUL = "not a text file (a NUL byte); integration files are UTF-8 YAML";

describe("decodeText", () => {
  it.each([
    [
      "UTF-16 little-endian with its byte-order mark",
      Buffer.concat([Buffer.from([0xff, 0xfe]), utf16le(YAML)]),
    ],
    [
      "UTF-16 big-endian with its byte-order mark",
      Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(YAML)]),
    ],
    [
      "UTF-16 big-endian with its byte-order mark and text that is not Latin",
      Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be("名前：値\n説明：日本語のテキスト\n")]),
    ],
    [
      "UTF-16 little-endian with its byte-order mark and text that is not Latin",
      Buffer.concat([Buffer.from([0xff, 0xfe]), utf16le("名前：値\n説明：日本語のテキスト\n")]),
    ],
    // The guess's edges: zeros in half the pairs, and one zero on the other side to eight.
    ["UTF-16 without a byte-order mark, half of it not Latin", utf16le("ab名前")],
    ["UTF-16 without a byte-order mark, one character in nine past Latin-1", utf16le("abcdefghĀ")],
    ["UTF-16 little-endian without a byte-order mark", utf16le(YAML)],
    ["UTF-16 big-endian without a byte-order mark", utf16be(YAML)],
    ["UTF-16 with some text that is not ASCII", utf16le(`${YAML}description: café crème\n`)],
  ])("calls %s UTF-16 and says to save it as UTF-8", (_, bytes) => {
    expect(decodeText(bytes)).toEqual({ ok: false, message: UTF16 });
  });

  it.each([
    ["on a later line", Buffer.from("a: 1\nb: 2\nc: x\0y\n"), 3, 5],
    ["after text that is not ASCII", Buffer.from("a: 1\nd: é\0\n"), 2, 5],
    ["at the very start", Buffer.from("\0a: 1\n"), 1, 1],
    ["in binary content", Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 0xff]), 1, 5],
    ["in a file of zeros", Buffer.alloc(64), 1, 1],
  ])("reports a NUL byte %s at its line and column", (_, bytes, line, column) => {
    expect(decodeText(bytes)).toEqual({ ok: false, message: NUL, line, column });
  });

  it.each([
    ["on a later line", [Buffer.from("a: 1\nb: 2\nc: caf"), Buffer.from([0xe9, 0x0a])], 3, 7],
    ["after text that is not ASCII", [Buffer.from("d: é "), Buffer.from([0xff])], 1, 6],
    // U+FFFD written in the file is text: the column is the bad byte's, after it.
    ["after a U+FFFD written in the file", [Buffer.from("d: \ufffd x"), Buffer.from([0xe9])], 1, 7],
    ["cut off at the end of the file", [Buffer.from("a: 1\nd: "), Buffer.from([0xe2, 0x82])], 2, 4],
  ])(
    "reports the first byte that is not UTF-8 %s at its line and column",
    (_, parts, line, column) => {
      expect(decodeText(Buffer.concat(parts))).toEqual({
        ok: false,
        message: "not valid UTF-8 text; integration files are UTF-8 YAML",
        line,
        column,
      });
    },
  );

  it.each([
    ["UTF-8", Buffer.from(YAML), YAML],
    [
      "UTF-8 with a byte-order mark",
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(YAML)]),
      YAML,
    ],
    ["empty", Buffer.alloc(0), ""],
  ])("reads %s text", (_, bytes, text) => {
    expect(decodeText(bytes)).toEqual({ ok: true, text });
  });
});
