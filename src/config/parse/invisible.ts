/**
 * Characters a reader cannot see, or takes for a plain space: a byte-order mark left where
 * files were joined, a zero-width space pasted from a web page, a no-break space. In a key or
 * a value they make a message look wrong (`unknown key "name"`, `must be POST (got "POST")`),
 * so such text is shown with them escaped, and each is named.
 */

const NAMES: Record<string, string> = {
  "\ufeff": "a byte-order mark",
  "\u200b": "a zero-width space",
  "\u200c": "a zero-width non-joiner",
  "\u200d": "a zero-width joiner",
  "\u2060": "a word joiner",
  "\u200e": "a left-to-right mark",
  "\u200f": "a right-to-left mark",
  "\u00ad": "a soft hyphen",
  "\u00a0": "a no-break space",
  "\u202f": "a narrow no-break space",
};

/** Format characters and every space but the plain one (ASCII 32). */
const INVISIBLE = /(?! )[\p{Cf}\p{Zs}\p{Zl}\p{Zp}]/gu;

const code = (c: string) => (c.codePointAt(0) ?? 0).toString(16).padStart(4, "0");

/** `JSON.stringify(text)`, with each invisible character written as `\uXXXX`. */
export function quoteVisibly(text: string): string {
  return JSON.stringify(text).replace(INVISIBLE, (c) => `\\u${code(c)}`);
}

/** The text without its invisible characters: what the writer meant, most likely. */
export function withoutInvisible(text: string): string {
  return text.replace(INVISIBLE, "");
}

/**
 * "it holds a byte-order mark (U+FEFF), which does not show: remove it", or undefined when
 * the text holds no such character.
 */
export function invisibleNote(text: string): string | undefined {
  const found = [...new Set(text.match(INVISIBLE) ?? [])];
  if (found.length === 0) return undefined;
  const named = found.map((c) => {
    const name = NAMES[c] ?? (/\p{Zs}/u.test(c) ? "a space" : "an invisible character");
    return `${name} (U+${code(c).toUpperCase()})`;
  });
  const spaces = found.every((c) => /\p{Zs}/u.test(c));
  const looks = spaces
    ? `${found.length === 1 ? "which looks like a plain space but is not" : "which look like plain spaces but are not"}`
    : `${found.length === 1 ? "which does" : "which do"} not show`;
  const list =
    named.length === 1 ? named.join("") : `${named.slice(0, -1).join(", ")} and ${named.at(-1)}`;
  return `it holds ${list}, ${looks}: remove ${found.length === 1 ? "it" : "them"}`;
}

/**
 * `message`, and when `value` holds such characters, what they are (never the value, which
 * may be a secret): a secret refused for its form says why it looks right and is not.
 */
export function withInvisibleNote(message: string, value: string): string {
  const note = invisibleNote(value) ?? unseenEdgeNote(value);
  return note ? `${message}: ${note}` : message;
}

const CONTROL_NAMES: Record<string, string> = {
  "\r": "a carriage return (a Windows line end)",
  "\n": "a line feed",
  "\t": "a tab",
};

/**
 * What a refused secret holds that shows in no message because the value is not echoed: a
 * control character (a `\r` from a `.env` file written on Windows, a tab), or spaces at
 * either end. Undefined when there is none.
 */
function unseenEdgeNote(value: string): string | undefined {
  const control = [...value].find((c) => c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127);
  if (control !== undefined) {
    const name = CONTROL_NAMES[control] ?? `a control character (U+${code(control).toUpperCase()})`;
    return `it holds ${name}, which does not show: remove it`;
  }
  if (/^ | $/.test(value)) return "it starts or ends with a space, which does not show: remove it";
  return undefined;
}
