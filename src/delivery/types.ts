/** The exact HTTP request an integration sends for one event (SPEC sections 3 and 4). */
export interface WebhookRequest {
  method: "POST" | "GET";
  url: string;
  /** Header names in their canonical case as sent; values already final. */
  headers: Record<string, string>;
  /** The exact body, or null when there is none (`format: query`). */
  body: string | null;
}

/** What one attempt to send came to. */
export type AttemptOutcome =
  | {
      kind: "response";
      status: number;
      retryAfterMs: number | undefined;
      bodyStart: string;
      durationMs: number;
    }
  | { kind: "error"; code: string; message: string; durationMs: number };

/** One attempt as kept in delivery records and dead letters. */
export interface AttemptRecord {
  /** ISO 8601 time the attempt started. */
  at: string;
  status?: number;
  error?: string;
}
