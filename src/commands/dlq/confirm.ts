/**
 * The one question `dlq purge` asks: removing a whole deployment's or integration's dead
 * letters cannot be undone, so a person at a terminal confirms it (`--yes` skips the
 * question). Scripts, whose input is no terminal, are not asked: they chose what to remove.
 */
import { createInterface } from "node:readline/promises";
import type { Readable, Writable } from "node:stream";

export interface Terminal {
  input: Readable & { isTTY?: boolean };
  output: Writable & { isTTY?: boolean };
}

/** True to go on: not a terminal, or the person answered yes. */
export async function confirmed(question: string, terminal: Terminal): Promise<boolean> {
  if (!terminal.input.isTTY || !terminal.output.isTTY) return true;
  const reader = createInterface({ input: terminal.input, output: terminal.output });
  try {
    const answer = await reader.question(`${question} [y/N] `);
    return /^\s*y(?:es)?\s*$/i.test(answer);
  } finally {
    reader.close();
  }
}
