import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import {
  createServer as createNetServer,
  type AddressInfo,
  type Server,
  type Socket,
} from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createEgressPolicy, parseCidrList } from "../../src/delivery/egress.js";
import { createSender, type Sender } from "../../src/delivery/send.js";
import type { AttemptOutcome, WebhookRequest } from "../../src/delivery/types.js";
import { startReceiver, type Receiver } from "../support/receiver.js";
import { freePort, sleep, waitFor } from "../support/wait.js";
import { hasOpenssl } from "../support/openssl.js";

const post = (url: string, body = '{"a":1}'): WebhookRequest => ({
  method: "POST",
  url,
  headers: { "Content-Type": "application/json", "User-Agent": "hookswitch/test" },
  body,
});

const policy = (deny = "", allow = "") =>
  createEgressPolicy({ deny: parseCidrList(deny).cidrs, allow: parseCidrList(allow).cidrs });

/** A server and a count of the TCP connections it accepted. */
interface Counted {
  url: string;
  connections(): number;
  close(): Promise<void>;
}

async function listen(server: Server | HttpServer, scheme = "http"): Promise<Counted> {
  let connections = 0;
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A raw TCP server that does `onRequest` with the socket once request bytes arrive. */
const rawServer = (onRequest: (socket: Socket) => void) =>
  listen(createNetServer((socket) => socket.once("data", () => onRequest(socket))));

let sender: Sender;
const cleanups: Array<() => Promise<void>> = [];
const track = <T extends { close(): Promise<void> }>(thing: T): T => {
  cleanups.push(() => thing.close());
  return thing;
};

beforeAll(() => {
  sender = createSender({ egress: policy() });
});
afterAll(() => sender.close());
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

const expectResponse = (outcome: AttemptOutcome) => {
  if (outcome.kind !== "response")
    throw new Error(`expected a response, got ${JSON.stringify(outcome)}`);
  return outcome;
};
const expectError = (outcome: AttemptOutcome) => {
  if (outcome.kind !== "error")
    throw new Error(`expected an error, got ${JSON.stringify(outcome)}`);
  return outcome;
};

describe("answers from a receiver", () => {
  it("sends the request as given and reports a 200 with the start of its body", async () => {
    const receiver: Receiver = track(await startReceiver(() => ({ status: 200, body: "thanks" })));
    const outcome = expectResponse(
      await sender.send(post(`${receiver.url}/hook?x=1`), { timeoutMs: 2000 }),
    );
    expect(outcome).toMatchObject({ status: 200, bodyStart: "thanks", retryAfterMs: undefined });
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]).toMatchObject({
      method: "POST",
      url: "/hook?x=1",
      body: '{"a":1}',
    });
    expect(receiver.requests[0]?.headers["user-agent"]).toBe("hookswitch/test");
  });

  it("sends each of more distinct URLs than it keeps parsed to its own path and query", async () => {
    const receiver = track(await startReceiver());
    // 1,100 URLs, one per user as path arguments make them, then the first ones again.
    const paths = Array.from({ length: 1100 }, (_, i) => `/users/${i}?n=${i}`);
    const again = paths.slice(0, 20);
    for (const path of [...paths, ...again]) {
      expectResponse(await sender.send(post(`${receiver.url}${path}`), { timeoutMs: 2000 }));
    }
    expect(receiver.requests.map((request) => request.url)).toEqual([...paths, ...again]);
  });

  it("reads a 503's Retry-After in seconds", async () => {
    const receiver = track(
      await startReceiver(() => ({ status: 503, headers: { "Retry-After": "120" } })),
    );
    const outcome = expectResponse(await sender.send(post(receiver.url), { timeoutMs: 2000 }));
    expect(outcome).toMatchObject({ status: 503, retryAfterMs: 120_000 });
  });

  it("does not follow a redirect: the 302 is the answer", async () => {
    const receiver = track(
      await startReceiver((req) =>
        req.url === "/" ? { status: 302, headers: { Location: "/moved" } } : {},
      ),
    );
    const outcome = expectResponse(await sender.send(post(receiver.url), { timeoutMs: 2000 }));
    expect(outcome.status).toBe(302);
    expect(outcome.location).toBe("/moved");
    expect(receiver.requests.map((req) => req.url)).toEqual(["/"]);
  });

  it.each([200, 201, 304, 400, 503])(
    "reads no Location from a %d answer, only from a redirect",
    async (status) => {
      const headers = { Location: "https://new.example/hook" };
      const receiver = track(await startReceiver(() => ({ status, headers })));
      const outcome = expectResponse(await sender.send(post(receiver.url), { timeoutMs: 2000 }));
      expect(outcome).toMatchObject({ status, location: undefined });
    },
  );

  it("reports a 3xx without a Location as having none", async () => {
    const receiver = track(await startReceiver(() => ({ status: 304 })));
    const outcome = expectResponse(await sender.send(post(receiver.url), { timeoutMs: 2000 }));
    expect(outcome).toMatchObject({ status: 304, location: undefined });
  });

  // Three quarters of the timeout: near it, with room for a loaded machine's delays.
  it("delivers an answer that takes 1.5 s within a 2 s timeout", async () => {
    const receiver = track(await startReceiver(() => ({ status: 200, delayMs: 1_500 })));
    const outcome = expectResponse(await sender.send(post(receiver.url), { timeoutMs: 2_000 }));
    expect(outcome.status).toBe(200);
    expect(outcome.durationMs).toBeGreaterThanOrEqual(1_450);
  });

  it("keeps only the first bytes of the body, never splitting a character", async () => {
    const small = createSender({ egress: policy(), maxResponseBytes: 5 });
    cleanups.push(() => small.close());
    const receiver = track(await startReceiver(() => ({ status: 400, body: "abcdé-and-more" })));
    const outcome = expectResponse(await small.send(post(receiver.url), { timeoutMs: 2000 }));
    expect(outcome).toMatchObject({ status: 400, bodyStart: "abcd" });
  });

  it("keeps at most the limit of a binary body, counted in UTF-8", async () => {
    const receiver = track(
      await listen(
        createHttpServer((_req, res) => res.writeHead(400).end(Buffer.alloc(4096, 0xff))),
      ),
    );
    const outcome = expectResponse(await sender.send(post(receiver.url), { timeoutMs: 2000 }));
    expect(outcome.status).toBe(400);
    expect(Buffer.byteLength(outcome.bodyStart)).toBeLessThanOrEqual(1024);
    expect(outcome.bodyStart).toMatch(/^\uFFFD{341}$/);
  });

  it("puts a body back together when a character arrives split over two chunks", async () => {
    const [head, tail] = [Buffer.from("caf\xc3", "latin1"), Buffer.from("\xa9 ok", "latin1")];
    const server = track(
      await listen(
        createHttpServer((_req, res) => {
          // "é" is two bytes: the first goes out alone, the second a moment later.
          res.write(head);
          setTimeout(() => res.end(tail), 30);
        }),
      ),
    );
    const outcome = expectResponse(await sender.send(post(server.url), { timeoutMs: 2000 }));
    expect(outcome.bodyStart).toBe("café ok");
  });

  it("reuses one keep-alive connection for sends made one after another", async () => {
    const server = track(await listen(createHttpServer((_req, res) => res.end("ok"))));
    for (let i = 0; i < 5; i++) {
      expectResponse(await sender.send(post(server.url), { timeoutMs: 2000 }));
    }
    expect(server.connections()).toBe(1);
  });

  it("opens no more connections than requests in flight when each answer starts the next send", async () => {
    const server = track(await listen(createHttpServer((_req, res) => res.end("ok"))));
    // Eight callers, each sending again as soon as its answer is in: a busy integration.
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 10; i++) {
          expectResponse(await sender.send(post(server.url), { timeoutMs: 2000 }));
        }
      }),
    );
    expect(server.connections()).toBe(8);
  });
});

describe("receivers that misbehave", () => {
  it("reports a closed port as ECONNREFUSED without the URL's secrets", async () => {
    const port = await freePort();
    const url = `http://user:hunter2@127.0.0.1:${port}/path?token=s3cret`;
    const outcome = expectError(await sender.send(post(url), { timeoutMs: 2000 }));
    expect(outcome.code).toBe("ECONNREFUSED");
    expect(outcome.message).toContain(`http://127.0.0.1:${port}`);
    expect(outcome.message).not.toMatch(/hunter2|s3cret|token|user/);
  });

  it.each([
    ["a refused connection", (port: number) => `http://127.0.0.1:${port}/hook`, "ECONNREFUSED"],
    ["a deadline", (port: number) => `http://127.0.0.1:${port}/hook`, "TIMEOUT"],
    ["a refused IPv6 connection", (port: number) => `http://[::1]:${port}/hook`, "ECONNREFUSED"],
  ])("names no host in %s when the host is a secret", async (_what, urlOf, code) => {
    const server = code === "TIMEOUT" ? track(await rawServer(() => undefined)) : undefined;
    const port = server ? Number(new URL(server.url).port) : await freePort();
    const options = { timeoutMs: code === "TIMEOUT" ? 300 : 2000, secretHost: true };
    const outcome = expectError(await sender.send(post(urlOf(port)), options));
    expect(outcome.code).toBe(code);
    expect(outcome.message).toContain("****");
    expect(outcome.message).not.toMatch(/127\.0\.0\.1|::1|hook/);
  });

  it("reports a connection dropped before any answer as ECONNRESET", async () => {
    const server = track(await rawServer((socket) => socket.destroy()));
    const outcome = expectError(await sender.send(post(server.url), { timeoutMs: 2000 }));
    expect(outcome.code).toBe("ECONNRESET");
  });

  it("takes the answer after 103 Early Hints, and a connection dropped after them as ECONNRESET", async () => {
    const hints = "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n";
    const answered = track(
      await rawServer((socket) => {
        socket.write(hints);
        setTimeout(() => socket.end("HTTP/1.1 204 No Content\r\n\r\n"), 50);
      }),
    );
    const outcome = expectResponse(await sender.send(post(answered.url), { timeoutMs: 2000 }));
    expect(outcome.status).toBe(204);
    // Hints are not an answer: a receiver gone after them is retried, not given up on.
    const dropped = track(
      await rawServer((socket) => {
        socket.write(hints);
        setTimeout(() => socket.destroy(), 50);
      }),
    );
    const error = expectError(await sender.send(post(dropped.url), { timeoutMs: 2000 }));
    expect(error.code).toBe("ECONNRESET");
  });

  it.each([
    [
      "100 Continue that was not asked for",
      "HTTP/1.1 100 Continue\r\n\r\n",
      /answered 100 Continue unasked/,
    ],
    [
      "101 Switching Protocols",
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n",
      /answered 101 Switching Protocols unasked/,
    ],
    ["status 000", "HTTP/1.1 000 Zero\r\nContent-Length: 0\r\n\r\n", /status code below 100/],
    [
      "10,000 headers",
      `HTTP/1.1 200 OK\r\n${"X-Flood: 1\r\n".repeat(10_000)}Content-Length: 0\r\n\r\n`,
      /answered with a header section over 16 KiB/,
    ],
  ])("reports an answer of %s as INVALID_ANSWER, in one line", async (_what, head, message) => {
    const server = track(
      await rawServer((socket) => {
        socket.write(head);
        setTimeout(() => socket.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), 50);
      }),
    );
    const outcome = expectError(await sender.send(post(server.url), { timeoutMs: 2000 }));
    expect(outcome.code).toBe("INVALID_ANSWER");
    expect(outcome.message).toMatch(message);
    expect(outcome.message).toMatch(new RegExp(`^${server.url.replace(/[/.]/g, "\\$&")}`));
    expect(outcome.message).not.toContain("\n");
  });

  it("keeps the status of an answer whose body breaks off", async () => {
    const server = track(
      await rawServer((socket) => {
        socket.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial");
        setTimeout(() => socket.destroy(), 50);
      }),
    );
    const outcome = expectResponse(await sender.send(post(server.url), { timeoutMs: 2000 }));
    expect(outcome).toMatchObject({ status: 200, bodyStart: "partial" });
  });

  it("gives up on a receiver that never answers at the timeout", async () => {
    const server = track(await rawServer(() => undefined));
    const outcome = expectError(await sender.send(post(server.url), { timeoutMs: 300 }));
    expect(outcome.code).toBe("TIMEOUT");
    expect(outcome.message).toBe(`no complete answer from ${server.url} within 300 ms`);
    expect(outcome.durationMs).toBeGreaterThanOrEqual(280);
    expect(outcome.durationMs).toBeLessThan(5_000);
  });

  it("gives up on a request still waiting for a connection at the timeout", async () => {
    const server = track(await rawServer(() => undefined)); // holds every request it gets
    const oneConnection = track(createSender({ egress: policy(), connections: 1 }));
    // One timeout: attempts with different timeouts use connections of their own.
    const [first, queued] = (
      await Promise.all([
        oneConnection.send(post(server.url), { timeoutMs: 300 }),
        oneConnection.send(post(server.url), { timeoutMs: 300 }),
      ])
    ).map(expectError);
    expect(first?.code).toBe("TIMEOUT");
    expect(queued?.code).toBe("TIMEOUT");
    expect(queued?.message).toBe(`no complete answer from ${server.url} within 300 ms`);
  });

  it("never sends a request that was given up on while it waited for a connection", async () => {
    let requests = 0;
    const server = track(await rawServer(() => requests++)); // holds every request it gets
    const oneConnection = track(createSender({ egress: policy(), connections: 1 }));
    // Both end in one call, so the queued one surely ends before the connection is free
    // again; deadlines set in one turn can still fall a millisecond apart, as Node.js reads
    // the clock for each timer. A deadline ends an exchange the same way (exchange.ts).
    const controller = new AbortController();
    const attempts = [1, 2].map(() =>
      oneConnection.send(post(server.url), { timeoutMs: 5000, signal: controller.signal }),
    );
    await waitFor(() => requests === 1, { timeoutMs: 5000, what: "the first request" });
    controller.abort(new Error("given up"));
    const outcomes = await Promise.all(attempts);
    expect(outcomes.map((outcome) => expectError(outcome).code)).toEqual(["ABORTED", "ABORTED"]);
    // The queued request's connection is opened all the same (undici starts it): give it
    // time to arrive, were it sent.
    await sleep(300);
    expect(requests).toBe(1);
  });

  it("cuts off a receiver trickling its headers a byte at a time", async () => {
    const server = track(
      await rawServer((socket) => trickle(socket, "HTTP/1.1 200 OK\r\nX-Slow: " + "a".repeat(50))),
    );
    const outcome = expectError(await sender.send(post(server.url), { timeoutMs: 500 }));
    expect(outcome.code).toBe("TIMEOUT");
    expect(outcome.durationMs).toBeLessThan(5_000);
  });

  it("cuts off a receiver trickling its body a byte at a time, keeping what came", async () => {
    const server = track(
      await rawServer((socket) => {
        socket.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
        trickle(socket, "z".repeat(100));
      }),
    );
    const outcome = expectResponse(await sender.send(post(server.url), { timeoutMs: 500 }));
    expect(outcome.status).toBe(200);
    expect(outcome.bodyStart).toMatch(/^z+$/);
    expect(outcome.durationMs).toBeLessThan(5_000);
  });

  it("stops reading a body streamed without end, and the next send still works", async () => {
    let written = 0;
    const peerPorts: Record<string, number | undefined> = {};
    const server = track(
      await listen(
        createHttpServer((req, res) => {
          peerPorts[req.url ?? ""] = req.socket.remotePort;
          if (req.url === "/small") return res.end("ok");
          res.writeHead(200, { "Content-Type": "application/octet-stream" });
          void stream(res, (bytes) => (written += bytes));
        }),
      ),
    );
    const heapBefore = process.memoryUsage().heapUsed;
    const started = Date.now();
    const outcome = expectResponse(
      await sender.send(post(`${server.url}/big`), { timeoutMs: 5000 }),
    );
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(outcome.status).toBe(200);
    expect(Buffer.byteLength(outcome.bodyStart)).toBeLessThanOrEqual(1024);
    expect(outcome.bodyStart.length).toBeGreaterThan(0);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);

    const next = expectResponse(
      await sender.send(post(`${server.url}/small`), { timeoutMs: 2000 }),
    );
    expect(next).toMatchObject({ status: 200, bodyStart: "ok" });
    // The connection with the unread body was closed, not handed to the next request.
    expect(peerPorts["/small"]).not.toBe(peerPorts["/big"]);
    // What is read past the kept start is bounded (64 KiB), not merely finite: the rest
    // is what the sockets' buffers took in before the connection was closed.
    expect(written).toBeLessThan(32 * 1024 * 1024);
  });

  it("reports an attempt aborted by its caller as ABORTED", async () => {
    const server = track(await rawServer(() => undefined));
    const outcome = expectError(
      await sender.send(post(server.url), { timeoutMs: 5000, signal: AbortSignal.timeout(100) }),
    );
    expect(outcome.code).toBe("ABORTED");
  });

  it("sends nothing for an attempt whose signal was aborted before it began", async () => {
    const server = track(await listen(createHttpServer((_req, res) => res.end("ok"))));
    const controller = new AbortController();
    controller.abort(new Error("shutting down"));
    const outcome = expectError(
      await sender.send(post(server.url), { timeoutMs: 2000, signal: controller.signal }),
    );
    expect(outcome.code).toBe("ABORTED");
    expect(server.connections()).toBe(0);
  });

  it("ends every attempt in flight when their shared signal aborts", async () => {
    const server = track(await rawServer(() => undefined));
    const controller = new AbortController();
    const attempts = [1, 2, 3].map(() =>
      sender.send(post(server.url), { timeoutMs: 5000, signal: controller.signal }),
    );
    setTimeout(() => controller.abort(new Error("shutting down")), 100);
    const outcomes = await Promise.all(attempts);
    expect(outcomes.map((outcome) => expectError(outcome).code)).toEqual([
      "ABORTED",
      "ABORTED",
      "ABORTED",
    ]);
  });

  it("reports a URL it cannot send to as INVALID_REQUEST", async () => {
    const outcome = expectError(
      await sender.send(post("ftp://example.invalid/x"), { timeoutMs: 500 }),
    );
    expect(outcome.code).toBe("INVALID_REQUEST");
  });
});

/** Writes `text` one byte every 100 ms until done or the peer goes away (bounded by its length). */
function trickle(socket: Socket, text: string) {
  let index = 0;
  const timer = setInterval(() => {
    if (index >= text.length || socket.destroyed) return clearInterval(timer);
    socket.write(text[index++] ?? "");
  }, 100);
  socket.on("close", () => clearInterval(timer));
}

/** Streams 64 KiB chunks, honouring back-pressure, for at most 3 s or 1 GiB. */
async function stream(res: import("node:http").ServerResponse, count: (bytes: number) => void) {
  const chunk = Buffer.alloc(64 * 1024, "x");
  const until = Date.now() + 3000;
  let total = 0;
  while (!res.destroyed && Date.now() < until && total < 1024 ** 3) {
    total += chunk.length;
    count(chunk.length);
    if (!res.write(chunk)) {
      // One listener at a time: a close listener left behind by each drain adds up.
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off("drain", done);
          res.off("close", done);
          resolve();
        };
        res.once("drain", done);
        res.once("close", done);
      });
    }
  }
  res.end();
}

describe("the egress policy at connect time", () => {
  it("refuses the cloud metadata address without a connection attempt", async () => {
    const outcome = expectError(
      await sender.send(post("http://169.254.169.254/latest/meta-data"), { timeoutMs: 5000 }),
    );
    expect(outcome).toMatchObject({
      code: "EGRESS_DENIED",
      message: "refused by egress policy: 169.254.169.254 (link-local)",
    });
    expect(outcome.durationMs).toBeLessThan(2_500);
  });

  it("refuses an IPv4-mapped IPv6 literal as its IPv4 address", async () => {
    const outcome = expectError(
      await sender.send(post("http://[::ffff:a9fe:a9fe]/"), { timeoutMs: 5000 }),
    );
    expect(outcome.code).toBe("EGRESS_DENIED");
    expect(outcome.message).toContain("169.254.169.254 (link-local)");
  });

  it("refuses a denied literal IP before opening any connection", async () => {
    const strict = track(createSender({ egress: policy("127.0.0.0/8") }));
    const server = track(await listen(createHttpServer((_req, res) => res.end("ok"))));
    const port = new URL(server.url).port;
    for (const url of [server.url, `http://[::ffff:127.0.0.1]:${port}`]) {
      const outcome = expectError(await strict.send(post(url), { timeoutMs: 2000 }));
      expect(outcome.code).toBe("EGRESS_DENIED");
    }
    expect(server.connections()).toBe(0);
  });

  it("refuses a hostname that resolves into a denied range (checked after DNS)", async () => {
    const strict = track(createSender({ egress: policy("127.0.0.0/8,::1") }));
    const server = track(await listen(createHttpServer((_req, res) => res.end("ok"))));
    const port = new URL(server.url).port;
    const outcome = expectError(
      await strict.send(post(`http://localhost:${port}/`), { timeoutMs: 2000 }),
    );
    expect(outcome.code).toBe("EGRESS_DENIED");
    expect(outcome.message).toMatch(
      /^refused by egress policy: localhost resolves to (127\.0\.0\.1 \(denied by 127\.0\.0\.0\/8\)|::1 \(denied by ::1\/128\))$/,
    );
    expect(server.connections()).toBe(0);
  });

  it("lets an allowed address through a denied range", async () => {
    const carved = track(createSender({ egress: policy("127.0.0.0/8", "127.0.0.1") }));
    const receiver = track(await startReceiver());
    expectResponse(await carved.send(post(receiver.url), { timeoutMs: 2000 }));
    expect(receiver.requests).toHaveLength(1);
  });
});

describe.skipIf(!hasOpenssl)("TLS", () => {
  let dir: string;
  let ca: string;
  let server: Counted;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "hookswitch-tls-"));
    makeCertificates(dir);
    ca = readFileSync(join(dir, "ca.pem"), "utf8");
    const options = {
      key: readFileSync(join(dir, "server.key")),
      cert: readFileSync(join(dir, "server.pem")),
    };
    server = await listen(
      createHttpsServer(options, (_req, res) => res.end("secure")),
      "https",
    );
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a certificate from an unknown CA", async () => {
    const outcome = expectError(await sender.send(post(server.url), { timeoutMs: 2000 }));
    expect(outcome.code).toBe("TLS");
    // The same on every Node.js: 24 adds advice of its own, which is left out.
    expect(outcome.message).toBe(`${server.url}: unable to verify the first certificate`);
  });

  it("trusts a private CA given as tlsCa", async () => {
    const outcome = expectResponse(
      await sender.send(post(server.url), { timeoutMs: 2000, tlsCa: ca }),
    );
    expect(outcome).toMatchObject({ status: 200, bodyStart: "secure" });
  });
});

function makeCertificates(dir: string) {
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  run(
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "1",
    "-subj",
    "/CN=hookswitch test CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  );
  run("req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
  writeFileSync(join(dir, "ext.cnf"), "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n");
  run(
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-days",
    "1",
    "-extfile",
    "ext.cnf",
  );
}
