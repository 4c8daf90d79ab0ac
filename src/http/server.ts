/**
 * The operations endpoints: /healthz, /readyz, /metrics, / (status page) and
 * /api/integrations. Read-only: only GET and HEAD, no request bodies accepted.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { HttpListenError } from "../errors.js";
import type { Exposition } from "./exposition.js";
import { BUILD_NAME } from "../version.js";
import { renderStatusPage } from "./page.js";
import type { StatusView } from "./status.js";

export interface HttpDeps {
  metrics: Pick<Exposition, "contentType" | "pieces">;
  /** Undefined when ready; otherwise why not (for /readyz). */
  notReadyReason: () => string | undefined;
  /** The status page's and /api/integrations' view, as it stands. */
  status: () => StatusView;
  /** Where an endpoint that fails says why: a probe's 500 alone does not. */
  log: Pick<Logger, "error" | "debug">;
}

export interface HttpServer {
  address: string;
  close(): Promise<void>;
}

/** The page runs no script and loads nothing: a browser should refuse anything else. */
const PAGE_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  head: boolean,
  extra: Record<string, string> = {},
) {
  res.writeHead(status, {
    ...extra,
    "Content-Type": type,
    "Content-Length": Buffer.byteLength(body),
    ...NOT_CACHED,
  });
  res.end(head ? undefined : body);
}

const NOT_CACHED = { "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" };

/**
 * A body of many megabytes (/metrics of thousands of integrations), written a piece at a
 * time as the client takes it, never whole: its length is not known up front.
 */
async function sendPieces(
  res: ServerResponse,
  type: string,
  pieces: () => AsyncIterable<string>,
  head: boolean,
) {
  if (head) {
    res.writeHead(200, { "Content-Type": type, ...NOT_CACHED });
    return void res.end();
  }
  // The first piece before the head: a scrape that fails at once is answered 500, and logged.
  const rest = pieces()[Symbol.asyncIterator]();
  const first = await rest.next();
  res.writeHead(200, { "Content-Type": type, ...NOT_CACHED });
  await pipeline(Readable.from(following(first, rest)), res);
}

async function* following<T>(first: IteratorResult<T>, rest: AsyncIterator<T>) {
  try {
    for (let next = first; next.done !== true; next = await rest.next()) yield next.value;
  } finally {
    await rest.return?.();
  }
}

/** How a client that went away in the middle of an answer shows. */
const CLIENT_GONE = new Set(["ERR_STREAM_PREMATURE_CLOSE", "ECONNRESET", "EPIPE"]);

async function route(deps: HttpDeps, req: IncomingMessage, res: ServerResponse) {
  const head = req.method === "HEAD";
  if (req.method !== "GET" && !head) {
    res.setHeader("Allow", "GET, HEAD");
    return send(res, 405, "text/plain; charset=utf-8", "method not allowed: read-only\n", false);
  }
  const path = (req.url ?? "/").split("?")[0];
  switch (path) {
    case "/healthz":
      return send(res, 200, "text/plain; charset=utf-8", "ok\n", head);
    case "/readyz": {
      const reason = deps.notReadyReason();
      return reason
        ? send(res, 503, "text/plain; charset=utf-8", `not ready: ${reason}\n`, head)
        : send(res, 200, "text/plain; charset=utf-8", "ready\n", head);
    }
    case "/metrics":
      return sendPieces(res, deps.metrics.contentType, () => deps.metrics.pieces(), head);
    case "/api/integrations":
      return send(
        res,
        200,
        "application/json",
        `${JSON.stringify(deps.status(), null, 2)}\n`,
        head,
      );
    case "/":
      return send(
        res,
        200,
        "text/html; charset=utf-8",
        renderStatusPage(deps.status(), BUILD_NAME),
        head,
        { "Content-Security-Policy": PAGE_POLICY },
      );
    default:
      return send(res, 404, "text/plain; charset=utf-8", "not found\n", head);
  }
}

/** Parses "host:port" (IPv6 as "[::1]:9464"); undefined when it is not one. */
export function parseHttpAddr(addr: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(addr.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) return undefined;
  return { host: match[1] ?? (match[2] || "0.0.0.0"), port };
}

/** Node says "listen EADDRINUSE: address already in use": say what it is for and what to do. */
function listenError(addr: string, err: NodeJS.ErrnoException): HttpListenError {
  const why =
    err.code === "EADDRINUSE"
      ? "the address is in use (another hookswitch?): stop what listens there, or choose a free port"
      : err.code === "EACCES"
        ? "permission denied (a port below 1024 needs privileges): choose a port above 1023"
        : err.code === "EADDRNOTAVAIL"
          ? "no network interface of this host has that address: use 0.0.0.0, 127.0.0.1 or one of its own"
          : `${err.message}: choose another address`;
  return new HttpListenError(
    `cannot listen on ${addr} for the HTTP endpoints: ${why} (--http-addr, HOOKSWITCH_HTTP_ADDR)`,
    { cause: err },
  );
}

/**
 * Whether a request says a body follows. No endpoint reads one; left alone, Node reads it all
 * off the connection after the answer, to keep the connection for a next request: a client
 * could so make the daemon read 200 MB, and grow by tens of MiB while the buffers wait for
 * the garbage collector (more on Node.js 24 than on 20).
 */
export function announcesBody(headers: IncomingMessage["headers"]): boolean {
  const length = headers["content-length"];
  return (
    headers["transfer-encoding"] !== undefined || (length !== undefined && Number(length) !== 0)
  );
}

/**
 * Bound what a client can make us hold: small headers, short timeouts. Node.js looks for
 * requests past their timeouts only every `connectionsCheckingInterval` (30 s by default),
 * which would let a slow client hold its connection for up to 40 s instead of 10.
 */
const SERVER_LIMITS = {
  // Far above what a browser or Prometheus sends; larger headers get 431.
  maxHeaderSize: 8 * 1024,
  headersTimeout: 10_000,
  requestTimeout: 15_000,
  connectionsCheckingInterval: 1_000,
} as const;

export async function startHttpServer(deps: HttpDeps, addr: string): Promise<HttpServer> {
  const parsed = parseHttpAddr(addr);
  // The command line checked it already: this is for callers that did not.
  if (!parsed) throw new HttpListenError(`cannot listen on ${addr}: it is not host:port`);
  const { host, port } = parsed;
  const server: Server = createServer(SERVER_LIMITS, (req, res) => {
    // Answered, then closed: the body is not read.
    if (announcesBody(req.headers)) res.setHeader("Connection", "close");
    route(deps, req, res).catch((err: unknown) => {
      const path = req.url?.split("?")[0];
      if (!res.headersSent) {
        deps.log.error({ err, path }, "an HTTP endpoint failed: answered 500");
        send(res, 500, "text/plain; charset=utf-8", "internal error\n", false);
      } else if (CLIENT_GONE.has((err as NodeJS.ErrnoException).code ?? "")) {
        // A client gone in the middle of a long body (/metrics): nothing is wrong here.
        deps.log.debug({ err, path }, "an HTTP answer was cut short: the client went away");
        res.destroy();
      } else {
        deps.log.error(
          { err, path },
          "an HTTP endpoint failed in the middle of its answer: cut short",
        );
        res.destroy();
      }
    });
  });
  server.maxHeadersCount = 50;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => reject(listenError(addr, err)));
    server.listen(port, host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  return {
    address: `${bound.family === "IPv6" ? `[${bound.address}]` : bound.address}:${bound.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
