/**
 * A real logger (the daemon's own, JSON lines) whose lines land in an array, for tests that
 * check what was logged and at which level.
 */
import { Writable } from "node:stream";
import type { Logger } from "pino";
import { createLogger } from "../../src/logger.js";

export type LogLine = Record<string, unknown>;

export function capturingLogger(level = "info"): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) {
        lines.push(JSON.parse(line) as LogLine);
      }
      done();
    },
  });
  return { log: createLogger({ level, destination }), lines };
}
