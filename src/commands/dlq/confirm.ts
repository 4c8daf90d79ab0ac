/**
 * The one question `dlq purge` asks: removing a whole deployment's or integration's dead
 * letters cannot be undone, so a person at a terminal confirms it (`--yes` skips the
 * question). Scripts, whose input is no terminal, are not asked: they chose what to remove.
 */
import { openSync } from "node:fs";
import { createInterface } from "node:readline/promises";
import type { Readable, Writable } from "node:stream";
import { WriteStream } from "node:tty";

export interface Terminal {
  input: Readable & { isTTY?: boolean };
  output: Writable & { isTTY?: boolean };
  /**
   * Where to ask when `output` is no terminal (`2>&1 | tee log`, `2>log`) but a person
   * types at `input`; undefined: at `output` all the same.
   */
  openQuestionTerminal?: () => Writable | undefined;
}

/** True to go on: not a terminal, or the person answered yes. */
export async function confirmed(question: string, terminal: Terminal): Promise<boolean> {
  // Decided by the input alone: whoever types at a terminal is asked, wherever output goes.
  if (!terminal.input.isTTY) return true;
  const own = terminal.output.isTTY ? undefined : terminal.openQuestionTerminal?.();
  const output = own ?? terminal.output;
  const reader = createInterface({ input: terminal.input, output });
  try {
    const answer = await reader.question(`${question} [y/N] `);
    return /^\s*y(?:es)?\s*$/i.test(answer);
  } finally {
    reader.close();
    own?.destroy();
  }
}

/** The process's controlling terminal for writing, when it has one. */
export function controllingTerminal(): Writable | undefined {
  try {
    return new WriteStream(openSync("/dev/tty", "w"));
  } catch {
    return undefined;
  }
}
