/**
 * A sample webhook receiver for the compose example: logs every request it gets as one
 * JSON line (method, path, query, webhook-id, webhook-timestamp, whether it is signed, body)
 * and answers 204. It does not verify signatures: docs/receivers.md shows how.
 * GET /healthz answers 200. Listens on PORT (default 8080) of HOST (default every address,
 * as in a container).
 */
import { createServer } from "node:http";

const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? "0.0.0.0";
const MAX_BODY_BYTES = 64 * 1024;

const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://receiver");
  if (req.method === "GET" && url.pathname === "/healthz") {
    res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    return;
  }
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (chunk) => {
    if (body.length < MAX_BODY_BYTES) body += chunk;
  });
  req.on("end", () => {
    const line = {
      at: new Date().toISOString(),
      method: req.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      webhookId: req.headers["webhook-id"],
      webhookTimestamp: req.headers["webhook-timestamp"],
      signed: req.headers["webhook-signature"] !== undefined,
      userAgent: req.headers["user-agent"],
      body,
    };
    console.log(JSON.stringify(line));
    res.writeHead(204).end();
  });
});

server.listen(port, host, () => console.log(`receiver listening on ${host}:${port}`));

// PID 1 in a container: stop on SIGTERM/SIGINT ourselves.
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
