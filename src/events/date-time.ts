/**
 * The event schema's `date-time` format: exactly what ajv-formats' full `date-time` accepts
 * (RFC 3339 with a time zone, `T`, `t` or a white-space character between date and time,
 * calendar days, leap seconds at 23:59:60 UTC), read character by character. Every event
 * is checked, and ajv-formats' `split` and two `exec` calls made a dozen objects per event:
 * about 2% of a drain's instructions (`npm run bench:instructions`). Held to ajv-formats by
 * `test/events/date-time.test.ts`.
 */

const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const ZERO = 0x30;
const NINE = 0x39;
const DASH = 0x2d;
const COLON = 0x3a;
const DOT = 0x2e;
const PLUS = 0x2b;
const MINUS = DASH;
const UPPER_T = 0x54;
const LOWER_T = 0x74;
const UPPER_Z = 0x5a;
const LOWER_Z = 0x7a;
/** `YYYY-MM-DD` and its separator; the time starts after them. */
const TIME_AT = 11;

/** True when `text` is an RFC 3339 date-time with a time zone. */
export function isDateTime(text: string): boolean {
  return text.length > TIME_AT && isDate(text) && isSeparator(text.charCodeAt(10)) && isTime(text);
}

function isDate(text: string): boolean {
  if (text.charCodeAt(4) !== DASH || text.charCodeAt(7) !== DASH) return false;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1) return false;
  return day <= (month === 2 && isLeapYear(year) ? 29 : (DAYS_IN_MONTH[month] ?? 0));
}

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

/** `hh:mm:ss`, an optional fraction, then `Z` or an offset (`±hh`, `±hhmm`, `±hh:mm`). */
function isTime(text: string): boolean {
  const at = TIME_AT;
  if (text.charCodeAt(at + 2) !== COLON || text.charCodeAt(at + 5) !== COLON) return false;
  const hour = digits(text, at, 2);
  const minute = digits(text, at + 3, 2);
  const wholeSecond = digits(text, at + 6, 2);
  if (hour < 0 || minute < 0 || wholeSecond < 0) return false;
  let end = at + 8;
  if (text.charCodeAt(end) === DOT) {
    const start = ++end;
    while (isDigit(text.charCodeAt(end))) end++;
    if (end === start) return false;
  }
  const offset = offsetOf(text, end);
  if (Number.isNaN(offset)) return false;
  // ajv-formats compares the seconds as a number, and a long fraction can round up to the
  // next second: only 59 and 60 are near enough to 60 and 61 for that to change the answer.
  const second =
    end > at + 8 && (wholeSecond === 59 || wholeSecond === 60)
      ? Number(text.slice(at + 6, end))
      : wholeSecond;
  if (hour <= 23 && minute <= 59 && second < 60) return true;
  // A leap second: 23:59:60 in UTC, written in any zone.
  const utcMinute = minute - (offset % 100);
  const utcHour = hour - Math.trunc(offset / 100) - (utcMinute < 0 ? 1 : 0);
  return (
    (utcHour === 23 || utcHour === -1) && (utcMinute === 59 || utcMinute === -1) && second < 61
  );
}

/**
 * The zone that ends the text from `at`: `Z` is 0, an offset is ±(hours × 100 + minutes),
 * and anything else NaN.
 */
function offsetOf(text: string, at: number): number {
  const first = text.charCodeAt(at);
  if (first === UPPER_Z || first === LOWER_Z) return text.length === at + 1 ? 0 : NaN;
  if (first !== PLUS && first !== MINUS) return NaN;
  const hours = digits(text, at + 1, 2);
  const rest = text.length - (at + 3);
  let minutes = 0;
  if (rest === 2) minutes = digits(text, at + 3, 2);
  else if (rest === 3 && text.charCodeAt(at + 3) === COLON) minutes = digits(text, at + 4, 2);
  else if (rest !== 0) return NaN;
  if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59) return NaN;
  return (first === MINUS ? -1 : 1) * (hours * 100 + minutes);
}

/** The number written by `count` ASCII digits from `at`, or -1 if any is not one. */
function digits(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const code = text.charCodeAt(i);
    if (!isDigit(code)) return -1;
    value = value * 10 + (code - ZERO);
  }
  return value;
}

function isDigit(code: number): boolean {
  return code >= ZERO && code <= NINE;
}

/** `T`, `t` or a character JavaScript's `\s` matches, as ajv-formats splits on `/t|\s/i`. */
function isSeparator(code: number): boolean {
  if (code === UPPER_T || code === LOWER_T) return true;
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}
