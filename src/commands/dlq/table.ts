/** `dlq list`'s table: one dead letter per line, nothing a terminal would act on. */
import type { ListedDeadLetter } from "../../delivery/records.js";
import { plural } from "../../config/text.js";
import { printable } from "../../output/printable.js";

const COLUMNS = ["ID", "INTEGRATION", "EVENT ID", "REASON", "ATTEMPTS", "LAST", "TIME"] as const;

/**
 * A dead letter's line of the table, as its cells: short, and all a table of it needs, so
 * that a listing keeps this of each record and not the record (events up to 960 KB).
 */
export function deadLetterRow(r: ListedDeadLetter): string[] {
  return [
    String(r.id),
    r.integration ?? wholeEventLabel(r.reason),
    // A publisher's id may be 960 KB, and every line is padded to the widest (--json has it whole).
    clip(r.eventId ?? "-", 40),
    clip(r.reason, 60),
    String(r.attempts.length),
    clip(lastOutcome(r), 40),
    r.lastAttemptAt ?? r.deadAt,
  ].map(printable);
}

/**
 * A dead letter of no one integration holds a whole event: an invalid one, or one that was
 * never delivered (it ran out of NATS deliveries, or is larger than --max-event-size), which
 * a replay publishes again for every integration it matches.
 */
function wholeEventLabel(reason: string): string {
  return reason.startsWith("invalid event") ? "(invalid event)" : "(whole event)";
}

/**
 * A plain-text table of these lines (see `deadLetterRow`), widths fitted to the content,
 * under a header, and their count.
 */
export function formatDeadLetterRows(rows: string[][]): string {
  if (rows.length === 0) return "no dead letters\n";
  const table = [[...COLUMNS], ...rows];
  // A loop, not Math.max(...rows): spread over 200,000 dead letters overflows the stack.
  const widths = COLUMNS.map((_, col) =>
    table.reduce((widest, row) => Math.max(widest, (row[col] ?? "").length), 0),
  );
  const lines = table.map((row) =>
    row
      .map((cell, col) => cell.padEnd(widths[col] ?? 0))
      .join("  ")
      .trimEnd(),
  );
  return `${lines.join("\n")}\n${plural(rows.length, "dead letter")}\n`;
}

function lastOutcome(record: ListedDeadLetter): string {
  if (record.lastStatus !== null) return `HTTP ${record.lastStatus}`;
  return record.lastError ?? "-";
}

function clip(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, " ");
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`;
}
