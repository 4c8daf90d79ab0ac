/**
 * A real HTTP receiver on 127.0.0.1 that records every request and answers
 * with whatever the test decides.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedRequest {
  method: string;
  /** Path and query as sent. */
  url: string;
  headers: IncomingMessage["headers"];
  /** Header names and values as they came, in order (values are byte strings: latin1). */
  rawHeaders: string[];
  body: string;
  /** The body's bytes as they came. */
  bytes: Buffer;
  at: number;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  delayMs?: number;
  /** Answer once this settles (a test holds answers back, then lets them go). */
  until?: Promise<unknown>;
}

export type Responder = (req: ReceivedRequest, index: number) => Reply | undefined;

export interface Receiver {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  /** Replace how the receiver answers (default 200). */
  respond(responder: Responder): void;
  close(): Promise<void>;
}

export async function startReceiver(responder: Responder = () => undefined): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  let current = responder;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const bytes = Buffer.concat(chunks);
      const received: ReceivedRequest = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: bytes.toString("utf8"),
        bytes,
        at: Date.now(),
      };
      requests.push(received);
      const reply = current(received, requests.length - 1) ?? {};
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(reply.status ?? 200, reply.headers);
        res.end(reply.body ?? "ok");
      };
      if (reply.until) void reply.until.finally(send);
      else if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    respond(next) {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
