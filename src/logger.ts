/**
 * Structured logs with pino. JSON by default (one line per event, for log pipelines);
 * `pretty` for people at a terminal. Secrets are redacted by key wherever they appear.
 */
import { createRequire } from "node:module";
import { pino, type Logger } from "pino";
import type { PrettyOptions, PrettyStream } from "pino-pretty";
import { printable } from "./output/printable.js";
import { startOf } from "./config/text.js";

/**
 * pino-pretty and what it pulls in are loaded only for `--log-format pretty`: in the JSON
 * default they were a bigger heap for every collection to go through, for nothing.
 */
const requireModule = createRequire(import.meta.url);
const loadPretty = () =>
  requireModule("pino-pretty") as { build: (options: PrettyOptions) => PrettyStream };

export type LogFormat = "json" | "pretty";

export interface LoggerOptions {
  level?: string;
  format?: LogFormat;
  /** Where JSON lines go; defaults to stdout. */
  destination?: NodeJS.WritableStream;
}

/** Keys whose values never reach a log line, at any depth the paths cover. */
const REDACT_PATHS = [
  "password",
  "token",
  "secret",
  "authorization",
  "*.password",
  "*.token",
  "*.secret",
  "*.authorization",
  "*.Authorization",
  "headers.authorization",
  "headers.Authorization",
  "*.headers.authorization",
  "*.headers.Authorization",
  "signingSecrets",
  "*.signingSecrets",
];

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? "info";
  const base = {
    level,
    base: { service: "hookswitch" },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    redact: { paths: REDACT_PATHS, censor: "****" },
  };
  if (options.format === "pretty") {
    // In this thread, not as a pino transport: a transport's worker whose standard error
    // is a closed pipe (`hookswitch run 2>&1 | head`) never ends, and held every stop 12 s
    // and made it exit 1. Synchronous, like the JSON lines: nothing is lost on exit.
    const stream = loadPretty().build({
      translateTime: "SYS:standard",
      ignore: "pid,hostname,service",
      // One line per message: a file name or event id with a line break in it would start a
      // line that reads as another entry. The fields below it keep the exact text, escaped.
      messageFormat: (log, key) => {
        const message = log[key];
        return typeof message === "string" ? printable(message) : "";
      },
      destination: options.destination ?? 2,
      sync: true,
    });
    return pino(base, stream);
  }
  return options.destination
    ? pino(base, options.destination as pino.DestinationStream)
    : pino(base, pino.destination({ dest: 2, sync: true }));
}

/** The most of a publisher's text (an event id) a log line carries. */
export const LOGGED_TEXT_CHARS = 200;

/**
 * A text from outside (an event id may be 960 KB) as a log line carries it: its start, and
 * how long it was, so that one event cannot make a line of a megabyte.
 */
export function loggedText(text: string): string {
  if (text.length <= LOGGED_TEXT_CHARS) return text;
  return `${startOf(text, LOGGED_TEXT_CHARS)} (${text.length} characters)`;
}

export type { Logger };
