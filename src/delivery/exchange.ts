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
import type { Dispatcher } from "undici";
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
  dispatcher: Dispatcher,
  request: WebhookRequest,
  options: ExchangeOptions,
): Exchange {
  let abortNow: ((reason: Error) => void) | undefined;
  const answer = new Promise<Answer>((resolve, reject) => {
    let controller: Dispatcher.DispatchController | undefined;
    let cutShort: Error | undefined;
    let answered: Omit<Answer, "bodyStart"> | undefined;
    // The kept bytes, decoded once at the end: most answers are one small chunk.
    const kept: Buffer[] = [];
    let received = 0;
    let settled = false;

    const settle = (error: Error | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Built field by field: a spread here cost 0.7 µs per request (micro-benchmark).
      if (answered) {
        const bodyStart = keptText(kept, received > options.maxBodyBytes);
        resolve({ status: answered.status, retryAfter: answered.retryAfter, bodyStart });
      } else reject(error ?? new Error("the exchange ended without an answer"));
    };
    abortNow = (reason: Error) => {
      cutShort ??= reason;
      // Still waiting for a connection: aborted as soon as undici starts it.
      controller?.abort(reason);
      settle(reason);
    };
    const timer = setTimeout(
      () => abortNow?.(new ExchangeTimeoutError(`no answer within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );

    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(started) {
        controller = started;
        if (cutShort) started.abort(cutShort);
      },
      onResponseStart(_controller, statusCode, headers) {
        if (statusCode < 200) return; // 1xx: the answer is still to come
        const retryAfter = headers["retry-after"];
        answered = {
          status: statusCode,
          retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
        };
      },
      onResponseData(current, chunk) {
        const keep = Math.max(0, options.maxBodyBytes - received);
        if (keep > 0) kept.push(keep < chunk.length ? chunk.subarray(0, keep) : chunk);
        received += chunk.length;
        if (received > options.maxBodyBytes + options.drainBytes) {
          current.abort(new Error("response body too long: connection closed"));
        }
      },
      onResponseEnd() {
        settle(undefined);
      },
      onResponseError(_controller, error) {
        settle(cutShort ?? error);
      },
    };

    let origin: string;
    let path: string;
    try {
      const url = new URL(request.url);
      [origin, path] = [url.origin, `${url.pathname}${url.search}`];
    } catch (error) {
      settle(error as Error);
      return;
    }
    try {
      dispatcher.dispatch(
        {
          origin,
          path,
          method: request.method,
          headers: request.headers,
          body: request.body,
          // The exchange's own deadline covers every phase. undici's per-phase timers would
          // add two per request, kept for up to a second after they are cleared (its timers
          // are coarse), long enough for the collector to move them to the old generation.
          headersTimeout: 0,
          bodyTimeout: 0,
        },
        handler,
      );
    } catch (error) {
      settle(error as Error);
    }
  });
  return { answer, abort: (reason) => abortNow?.(reason) };
}

/**
 * The kept start of a body as text. When the body was cut, the cut may fall inside a
 * character: its first bytes are left out rather than shown as a replacement character.
 */
function keptText(chunks: Buffer[], cut: boolean): string {
  const [first] = chunks;
  const bytes = chunks.length === 1 && first ? first : Buffer.concat(chunks);
  return cut ? new StringDecoder("utf8").write(bytes) : bytes.toString("utf8");
}
