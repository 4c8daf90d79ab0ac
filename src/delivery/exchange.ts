/**
 * One HTTP request and its answer, on undici's dispatcher interface directly: no
 * AbortController, no response stream and no promise per chunk, which the `request` API
 * builds for every attempt (a tenth of the CPU of a drain went there).
 *
 * - One deadline covers waiting for a connection, the headers and the body.
 * - Once the status line and headers are in, the receiver has answered: the exchange
 *   resolves with that status even if the body then stalls, breaks or runs on.
 * - Only the first `maxBodyBytes` of the body are kept; up to `drainBytes` more are read
 *   so that the connection can be reused, and a longer body is cut off by closing it.
 */
import { StringDecoder } from "node:string_decoder";
// undici's name for a connection pool; hookswitch's own Dispatcher (dispatcher.ts) is another thing.
import type { Dispatcher as UndiciDispatcher } from "undici";
import type { WebhookRequest } from "./types.js";

export interface ExchangeOptions {
  timeoutMs: number;
  maxBodyBytes: number;
  drainBytes: number;
}

export interface Answer {
  status: number;
  retryAfter: string | undefined;
  bodyStart: string;
  /** A 3xx answer's Location header; undefined for any other status. */
  location: string | undefined;
}

/** The exchange's deadline passed before a complete answer. */
export class ExchangeTimeoutError extends Error {
  override name = "ExchangeTimeoutError";
}

export interface Exchange {
  answer: Promise<Answer>;
  /** Ends the exchange now; it rejects with `reason` unless the headers are already in. */
  abort(reason: Error): void;
}

export function exchange(
  dispatcher: UndiciDispatcher,
  request: WebhookRequest,
  options: ExchangeOptions,
): Exchange {
  const running = new RunningExchange(options);
  let target: Target;
  try {
    target = targetOf(request.url);
  } catch (error) {
    running.abort(error as Error);
    return running;
  }
  try {
    dispatcher.dispatch(
      {
        origin: target.origin,
        path: target.path,
        method: request.method,
        headers: request.headers,
        body: request.body,
        // The exchange's own deadline covers every phase. undici's per-phase timers would
        // add two per request, kept for up to a second after they are cleared (its timers
        // are coarse), long enough for the collector to move them to the old generation.
        headersTimeout: 0,
        bodyTimeout: 0,
      },
      running,
    );
  } catch (error) {
    running.abort(error as Error);
  }
  return running;
}

/** A URL as undici's `dispatch` takes it. */
interface Target {
  origin: string;
  path: string;
}

/**
 * An integration sends to the same few URLs over and over, so each is parsed once. Path
 * arguments can make a URL per user: the memory is bounded, and starts over when full.
 */
const targets = new Map<string, Target>();
const MAX_TARGETS = 1024;

function targetOf(url: string): Target {
  let target = targets.get(url);
  if (target) return target;
  const parsed = new URL(url);
  target = { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
  if (targets.size >= MAX_TARGETS) targets.clear();
  targets.set(url, target);
  return target;
}

/**
 * One exchange as one object: it is undici's handler, its own deadline's target and what
 * the caller holds. A handler of closures cost a dozen allocations per request.
 */
class RunningExchange implements Exchange, UndiciDispatcher.DispatchHandler {
  readonly answer: Promise<Answer>;
  readonly #options: ExchangeOptions;
  readonly #timer: NodeJS.Timeout;
  // Set by the promise's executor, which runs in the constructor.
  #resolve!: (answer: Answer) => void;
  #reject!: (error: Error) => void;
  #controller: UndiciDispatcher.DispatchController | undefined;
  #cutShort: Error | undefined;
  /** 0 until the status line (not 1xx) is in. */
  #status = 0;
  #retryAfter: string | undefined;
  #location: string | undefined;
  /** The kept bytes, decoded once at the end: most answers are one small chunk. */
  readonly #kept: Buffer[] = [];
  #received = 0;
  #settled = false;

  constructor(options: ExchangeOptions) {
    this.#options = options;
    this.answer = new Promise<Answer>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#timer = setTimeout(RunningExchange.#expire, options.timeoutMs, this);
  }

  /** Ends the exchange now; it rejects with `reason` unless the headers are already in. */
  abort(reason: Error): void {
    this.#cutShort ??= reason;
    // Still waiting for a connection: aborted as soon as undici starts it.
    this.#controller?.abort(reason);
    this.#settle(reason);
  }

  onRequestStart(controller: UndiciDispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#cutShort) controller.abort(this.#cutShort);
  }

  onResponseStart(
    _controller: UndiciDispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    if (statusCode < 200) return; // 1xx: the answer is still to come
    const retryAfter = headers["retry-after"];
    this.#status = statusCode;
    this.#retryAfter = Array.isArray(retryAfter) ? retryAfter[0] : retryAfter;
    // Where a redirect points, for the operator; no other answer has its Location read
    // (a 304, Not Modified, points nowhere, whatever it carries).
    if (statusCode >= 300 && statusCode < 400 && statusCode !== 304) {
      this.#location = firstValue(headers.location);
    }
  }

  onResponseData(controller: UndiciDispatcher.DispatchController, chunk: Buffer): void {
    const { maxBodyBytes, drainBytes } = this.#options;
    const keep = maxBodyBytes - this.#received;
    if (keep > 0) this.#kept.push(keep < chunk.length ? chunk.subarray(0, keep) : chunk);
    this.#received += chunk.length;
    if (this.#received > maxBodyBytes + drainBytes) {
      controller.abort(new Error("response body too long: connection closed"));
    }
  }

  onResponseEnd(): void {
    this.#settle(undefined);
  }

  onResponseError(_controller: UndiciDispatcher.DispatchController, error: Error): void {
    this.#settle(this.#cutShort ?? error);
  }

  #settle(error: Error | undefined): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#timer);
    if (this.#status === 0) {
      this.#reject(error ?? new Error("the exchange ended without an answer"));
      return;
    }
    this.#resolve({
      status: this.#status,
      retryAfter: this.#retryAfter,
      bodyStart: keptText(this.#kept, this.#received, this.#options.maxBodyBytes),
      location: this.#location,
    });
  }

  /** The deadline's callback, given the exchange: no closure per request. */
  static #expire(running: RunningExchange): void {
    const timeoutMs = running.#options.timeoutMs;
    running.abort(new ExchangeTimeoutError(`no answer within ${timeoutMs} ms`));
  }
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The kept start of a body as text, at most `maxBytes` of UTF-8. When the body was cut,
 * the cut may fall inside a character: its first bytes are left out rather than shown as
 * a replacement character. Bytes that are not UTF-8 (a binary body) each become U+FFFD,
 * three bytes of UTF-8: the text is cut again to stay within the limit.
 */
function keptText(chunks: Buffer[], received: number, maxBytes: number): string {
  const [first] = chunks;
  const bytes = chunks.length === 1 && first ? first : Buffer.concat(chunks);
  const text =
    received > maxBytes ? new StringDecoder("utf8").write(bytes) : bytes.toString("utf8");
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text) <= maxBytes) return text;
  return new StringDecoder("utf8").write(Buffer.from(text, "utf8").subarray(0, maxBytes));
}
