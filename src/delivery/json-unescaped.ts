/**
 * A text with its JSON string escapes read (`\/`, `\"`, `\n`, `\u00e9`, `\u003C` …), and
 * where each of its characters began in the text. An answer's encoder may escape any mix of
 * a secret's characters, in either case of hex (PHP's `\/` with `JSON_HEX_AMP`'s `\u0026`,
 * Go's `\u003c`, PHP's `\u003C`): looking for the secret in the read text finds every mix,
 * and `starts` says which characters of the answer to mask.
 */
export interface UnescapedView {
  /** Without an escape the answer's end cut short (`\u00`): the answer was kept to a length. */
  text: string;
  /** `starts[i]`: where character `i` of `text` began; `starts[text.length]` is where it ends. */
  starts: number[];
}

const SHORT_ESCAPES: Readonly<Record<string, string>> = {
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
const CUT_SHORT_ESCAPE = /^\\(u[0-9A-Fa-f]{0,3})?$/;

export function jsonUnescaped(answer: string): UnescapedView {
  let text = "";
  const starts: number[] = [];
  let i = 0;
  while (i < answer.length) {
    const char = answer[i] as string;
    if (char === "\\" && answer.length - i < 6 && CUT_SHORT_ESCAPE.test(answer.slice(i))) break;
    starts.push(i);
    const next = answer[i + 1];
    if (char !== "\\" || next === undefined) {
      text += char;
      i += 1;
    } else if (Object.hasOwn(SHORT_ESCAPES, next)) {
      text += SHORT_ESCAPES[next];
      i += 2;
    } else if (next === "u" && HEX4.test(answer.slice(i + 2, i + 6))) {
      text += String.fromCharCode(parseInt(answer.slice(i + 2, i + 6), 16));
      i += 6;
    } else {
      text += char;
      i += 1;
    }
  }
  starts.push(i);
  return { text, starts };
}
