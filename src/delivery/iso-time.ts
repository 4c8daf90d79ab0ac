/**
 * `Date#toISOString` remembered for the last millisecond asked, one memory per caller.
 * V8's own formatting costs half a microsecond, and a drain renders many deliveries in one
 * millisecond (the `dateTime` field), then counts them in the order their answers come.
 * One memory shared by both would see two interleaved timelines and miss almost always.
 */
export function isoTimeMemo(): (date: Date) => string {
  let lastMs = NaN;
  let lastText = "";
  return (date) => {
    const ms = date.getTime();
    if (ms !== lastMs) {
      lastText = date.toISOString();
      lastMs = ms;
    }
    return lastText;
  };
}
