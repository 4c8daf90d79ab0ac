/**
 * `Date#toISOString`, remembered for the last millisecond asked. A drain renders and
 * counts many deliveries within one millisecond (the `dateTime` field, the status page's
 * last delivery), and V8's own formatting costs half a microsecond each time.
 */
let lastMs = NaN;
let lastText = "";

export function isoTime(date: Date): string {
  const ms = date.getTime();
  if (ms !== lastMs) {
    lastText = date.toISOString();
    lastMs = ms;
  }
  return lastText;
}
