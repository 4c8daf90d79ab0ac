/**
 * The exact HTTP request an integration sends for one event (docs/receivers.md, "Headers" and
 * "Payload").
 */
export interface WebhookRequest {
  method: "POST" | "GET";
  url: string;
  /** Header names in their canonical case as sent; values already final. */
  headers: Record<string, string>;
  /** The exact body, or null when there is none (`format: query`). */
  body: string | null;
}

/**
 * Why an event gets no request at all: a path argument comes out empty for it, and a
 * request with an empty segment would go to another URL than the one the file means.
 */
export interface Unsendable {
  /** E.g. `webhook.pathArguments[0] "{name}" is empty for this event, which has no name (data.user.name)`. */
  unsendable: string;
}

/** What rendering an event gives: the request, or why there is none. */
export type Rendering = WebhookRequest | Unsendable;

/** What one attempt to send came to. */
export type AttemptOutcome =
  | {
      kind: "response";
      status: number;
      retryAfterMs: number | undefined;
      bodyStart: string;
      durationMs: number;
      /**
       * A 3xx answer's Location as the receiver sent it (undefined for any other status):
       * where it redirected to, for the dead letter. Receiver text: mask it before output.
       */
      location: string | undefined;
    }
  | { kind: "error"; code: string; message: string; durationMs: number };

/** One attempt as kept in delivery records and dead letters. */
export interface AttemptRecord {
  /** ISO 8601 time the attempt started. */
  at: string;
  status?: number;
  error?: string;
}
