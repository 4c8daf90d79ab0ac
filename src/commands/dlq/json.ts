/**
 * `dlq list --json`'s array, written a record at a time: the same text as
 * `JSON.stringify(records, null, 2)`, without the records held together.
 */

/** The record at `index`: the array's opening (or the comma after the one before), then it. */
export function jsonArrayItem(value: unknown, index: number): string {
  // Every newline JSON.stringify writes is between tokens (a string's own are escaped as
  // \n), so each one starts a line to indent as an element of the array.
  const indented = `  ${JSON.stringify(value, null, 2).replace(/\n/g, "\n  ")}`;
  return `${index === 0 ? "[\n" : ",\n"}${indented}`;
}

/** What closes an array of `count` items, and ends the output. */
export function jsonArrayEnd(count: number): string {
  return count === 0 ? "[]\n" : "\n]\n";
}
