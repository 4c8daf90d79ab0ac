/**
 * An answer read the ways a receiver may have escaped what it quotes, and where each
 * character of the reading began in the answer. Encoders escape any mix of a secret's
 * characters, each in its own way: JSON's `\/`, `\u0026`, `\u003C` (PHP, Go, Rails); a URL's
 * `%2F` or `%2f` (.NET writes lower-case hex), `/` left as it is (Python's `quote`); HTML's
 * `&amp;`, `&#x2F;`, `&#47;`, `&sol;` (OWASP's encoders). Looking for a secret in the reading
 * finds every mix, and `starts` says which characters of the answer to mask. Letters are read
 * in lower case (A–Z only, which keeps the length), so that a secret upper-cased is found too.
 */
export interface DecodedView {
  /** Without an escape the answer's end cut short (`\u00`, `%2`, `&#x2`): it was kept to a length. */
  text: string;
  /** `starts[i]`: where character `i` of `text` began; `starts[text.length]` is where it ends. */
  starts: number[];
}

/** An escape begun at the answer's end and cut short there. */
const CUT_SHORT = Symbol("cut short");

type Read = [chars: string, length: number] | typeof CUT_SHORT | undefined;

export function decodedView(answer: string): DecodedView {
  let text = "";
  const starts: number[] = [];
  let i = 0;
  while (i < answer.length) {
    const read = readEscape(answer, i);
    if (read === CUT_SHORT) break;
    const [chars, length] = read ?? [answer[i] as string, 1];
    for (let unit = 0; unit < chars.length; unit++) starts.push(i);
    text += chars;
    i += length;
  }
  starts.push(i);
  return { text: asciiLowerCase(text), starts };
}

/** `text` with A–Z as a–z, and nothing else changed (its length stays). */
export function asciiLowerCase(text: string): string {
  return text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

function readEscape(answer: string, at: number): Read {
  switch (answer[at]) {
    case "\\":
      return readJsonEscape(answer, at);
    case "%":
      return readPercentEscape(answer, at);
    case "&":
      return readCharacterReference(answer, at);
    default:
      return undefined;
  }
}

const JSON_SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

const HEX4 = /^[0-9A-Fa-f]{4}$/;

function readJsonEscape(answer: string, at: number): Read {
  const next = answer[at + 1];
  if (next !== undefined && Object.hasOwn(JSON_SHORT_ESCAPES, next)) {
    return [JSON_SHORT_ESCAPES[next] as string, 2];
  }
  const hex = answer.slice(at + 2, at + 6);
  if (next === "u" && HEX4.test(hex)) return [String.fromCharCode(parseInt(hex, 16)), 6];
  return cutShort(answer, at, /^\\(u[0-9A-Fa-f]{0,3})?$/);
}

const PERCENT_BYTE = /^%[0-9A-Fa-f]{2}$/;

/** `%XX`, or the run of them that writes one character in UTF-8 (`%C3%A9`). */
function readPercentEscape(answer: string, at: number): Read {
  const first = percentByte(answer, at);
  if (first === undefined) return cutShort(answer, at, /^%[0-9A-Fa-f]?$/);
  const length = utf8Length(first);
  if (length === 0) return undefined;
  const bytes = [first];
  for (let k = 1; k < length; k++) {
    const byte = percentByte(answer, at + 3 * k);
    if (byte === undefined) return cutShort(answer, at + 3 * k, /^(%[0-9A-Fa-f]?)?$/);
    bytes.push(byte);
  }
  const chars = utf8Character(bytes);
  return chars === undefined ? undefined : [chars, 3 * length];
}

function percentByte(answer: string, at: number): number | undefined {
  const triplet = answer.slice(at, at + 3);
  return PERCENT_BYTE.test(triplet) ? parseInt(triplet.slice(1), 16) : undefined;
}

/** How many bytes a UTF-8 character that starts with `first` takes; 0: none starts so. */
function utf8Length(first: number): number {
  if (first < 0x80) return 1;
  if (first >= 0xc2 && first <= 0xdf) return 2;
  if (first >= 0xe0 && first <= 0xef) return 3;
  if (first >= 0xf0 && first <= 0xf4) return 4;
  return 0;
}

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });

function utf8Character(bytes: number[]): string | undefined {
  try {
    return STRICT_UTF8.decode(Uint8Array.from(bytes));
  } catch {
    return undefined;
  }
}

/** HTML's names for the ASCII characters encoders escape, as HTML5 defines them. */
const NAMED_REFERENCES: Readonly<Record<string, string>> = {
  amp: "&",
  AMP: "&",
  lt: "<",
  LT: "<",
  gt: ">",
  GT: ">",
  quot: '"',
  QUOT: '"',
  apos: "'",
  excl: "!",
  num: "#",
  dollar: "$",
  percnt: "%",
  lpar: "(",
  rpar: ")",
  ast: "*",
  plus: "+",
  comma: ",",
  period: ".",
  sol: "/",
  colon: ":",
  semi: ";",
  equals: "=",
  quest: "?",
  commat: "@",
  lsqb: "[",
  lbrack: "[",
  bsol: "\\",
  rsqb: "]",
  rbrack: "]",
  Hat: "^",
  lowbar: "_",
  grave: "`",
  lcub: "{",
  lbrace: "{",
  verbar: "|",
  vert: "|",
  rcub: "}",
  rbrace: "}",
};

const CHARACTER_REFERENCE = /^&(?:#(\d{1,7})|#[xX]([0-9A-Fa-f]{1,6})|([A-Za-z]{2,8}));/;

function readCharacterReference(answer: string, at: number): Read {
  const found = CHARACTER_REFERENCE.exec(answer.slice(at, at + 12));
  if (found === null) return cutShort(answer, at, /^&(#[xX]?[0-9A-Fa-f]{0,6}|[A-Za-z]{0,8})$/);
  const [whole, decimal, hex, name] = found;
  if (name !== undefined) {
    const char = Object.hasOwn(NAMED_REFERENCES, name) ? NAMED_REFERENCES[name] : undefined;
    return char === undefined ? undefined : [char, whole.length];
  }
  const codePoint = decimal !== undefined ? parseInt(decimal, 10) : parseInt(hex as string, 16);
  return codePoint > 0x10ffff ? undefined : [String.fromCodePoint(codePoint), whole.length];
}

/** CUT_SHORT where what is left of the answer from `at` is an escape begun and cut short. */
function cutShort(answer: string, at: number, begun: RegExp): Read {
  return answer.length - at <= 12 && begun.test(answer.slice(at)) ? CUT_SHORT : undefined;
}
