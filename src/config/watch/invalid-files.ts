/**
 * What each file with problems holds back: the integrations its documents name that do not
 * run (the file never was valid, or another file holds the name). A file with one bad
 * document is left out whole, so its valid documents' integrations would otherwise be
 * missing without a word (the start's warning, the status page and `/api/integrations` say
 * which). Those that run from its last valid version are marked where they are listed.
 */
import type { ConfigState } from "./generation.js";
import { declaredNames } from "./renamed-files.js";

export interface InvalidFileStanding {
  /** Named by its documents and not running anywhere in this generation. */
  notRunning: string[];
}

export function invalidFileStandings(state: ConfigState): Map<string, InvalidFileStanding> {
  const running = new Set(state.integrations.map((i) => i.name));
  const standings = new Map<string, InvalidFileStanding>();
  for (const file of state.files.values()) {
    if (file.problems.length === 0) continue;
    const declared = [...declaredNames(file.result)];
    standings.set(file.file, { notRunning: declared.filter((name) => !running.has(name)).sort() });
  }
  return standings;
}
