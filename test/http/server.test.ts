import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  announcesBody,
  parseHttpAddr,
  startHttpServer,
  type HttpServer,
} from "../../src/http/server.js";
import { createMetrics } from "../../src/http/metrics.js";
import type { StatusView } from "../../src/http/status.js";
import { capturingLogger } from "../support/logs.js";
import { IDLE_SOURCES } from "../support/metric-sources.js";
import { rawRequest } from "../support/raw-http.js";
import { waitFor } from "../support/wait.js";

describe("announcesBody", () => {
  it.each<[string, Record<string, string>, boolean]>([
    ["no body headers", {}, false],
    ["Content-Length 0", { "content-length": "0" }, false],
    ["a Content-Length above 0", { "content-length": "209715200" }, true],
    ["chunked transfer encoding", { "transfer-encoding": "chunked" }, true],
  ])("says whether a request with %s announces a body", (_name, headers, expected) => {
    expect(announcesBody(headers)).toBe(expected);
  });
});

describe("parseHttpAddr", () => {
  it.each([
    ["127.0.0.1:9464", { host: "127.0.0.1", port: 9464 }],
    ["0.0.0.0:0", { host: "0.0.0.0", port: 0 }],
    [":9464", { host: "0.0.0.0", port: 9464 }],
    ["[::1]:9464", { host: "::1", port: 9464 }],
    [" localhost:80 ", { host: "localhost", port: 80 }],
    ["9464", undefined],
    ["127.0.0.1:99999", undefined],
    ["127.0.0.1:", undefined],
    ["::1:9464", undefined],
  ])("reads %j as %j", (addr, parsed) => {
    expect(parseHttpAddr(addr)).toEqual(parsed);
  });
});

describe("an endpoint that fails", () => {
  let server: HttpServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it.each(["/readyz", "/api/integrations"])(
    "answers %s with 500 and logs why, so that an unready pod says what broke",
    async (path) => {
      const { log, lines } = capturingLogger();
      server = await startHttpServer(
        {
          metrics: createMetrics(IDLE_SOURCES).exposition,
          notReadyReason: () => {
            throw new Error("the consumer's state could not be read");
          },
          status: () => {
            throw new Error("the consumer's state could not be read");
          },
          log,
        },
        "127.0.0.1:0",
      );
      const res = await fetch(`http://${server.address}${path}?secret=x`);
      expect(res.status).toBe(500);
      expect(await res.text()).toBe("internal error\n");
      expect(lines).toMatchObject([
        {
          level: "error",
          path,
          msg: "an HTTP endpoint failed: answered 500",
          err: { message: "the consumer's state could not be read" },
        },
      ]);
    },
  );
});

describe("a /metrics answer that fails or is left", () => {
  let server: HttpServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  /** A server whose metrics are `pieces`, and what it logged at debug and above. */
  async function serving(pieces: () => AsyncGenerator<string>) {
    const { log, lines } = capturingLogger("debug");
    server = await startHttpServer(
      {
        metrics: { contentType: "text/plain; version=0.0.4; charset=utf-8", pieces },
        notReadyReason: () => undefined,
        status: () => {
          throw new Error("not asked for");
        },
        log,
      },
      "127.0.0.1:0",
    );
    return { lines, port: Number(server.address.split(":").at(-1)) };
  }

  it("answers 500 and logs why when the metrics fail before their first line", async () => {
    const { lines } = await serving(async function* () {
      await Promise.resolve();
      yield* [];
      throw new Error("a collector failed");
    });
    const res = await fetch(`http://${server!.address}/metrics`);
    expect(res.status).toBe(500);
    expect(lines.map((l) => [l.level, l.msg, (l.err as { message?: string }).message])).toEqual([
      ["error", "an HTTP endpoint failed: answered 500", "a collector failed"],
    ]);
  });

  it("cuts the answer short and logs an error when they fail after it began", async () => {
    const { lines, port } = await serving(async function* () {
      yield "# a first family\n";
      await Promise.resolve();
      throw new Error("a collector failed later");
    });
    const answer = await rawRequest(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    // Chunked, and never ended with the last chunk: a scraper sees the answer as broken.
    expect(answer).not.toMatch(/\r\n0\r\n\r\n$/);
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ["error", "an HTTP endpoint failed in the middle of its answer: cut short"],
    ]);
  });

  it("logs a client that goes away in the middle at debug only", async () => {
    const { lines, port } = await serving(async function* () {
      // Bounded: 2,000 pieces of 64 KiB, far more than the socket's buffers hold.
      for (let i = 0; i < 2_000; i++) {
        yield `${"#".repeat(65_535)}\n`;
        await new Promise((resolve) => setImmediate(resolve));
      }
    });
    const socket = connect(port, "127.0.0.1");
    socket.write("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    await new Promise((resolve) => socket.once("data", resolve));
    socket.destroy();
    await waitFor(() => lines.length > 0, { what: "the server's word on the answer" });
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ["debug", "an HTTP answer was cut short: the client went away"],
    ]);
  });
});

describe("what every endpoint tells the client about its answer", () => {
  let server: HttpServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const view: StatusView = {
    version: "0.1.0",
    revision: "unknown",
    generation: 1,
    configDigest: null,
    configFolder: "/srv/integrations.d",
    lastReloadSuccessful: true,
    ready: true,
    notReadyReason: null,
    integrations: [],
    invalidFiles: [],
    deadLetters: 0,
    eventsPending: 0,
    deliveriesWaiting: 0,
    waitingForUnloaded: [],
  };

  async function serve(): Promise<string> {
    server = await startHttpServer(
      {
        metrics: createMetrics(IDLE_SOURCES).exposition,
        notReadyReason: () => undefined,
        status: () => view,
        log: capturingLogger().log,
      },
      "127.0.0.1:0",
    );
    return `http://${server.address}`;
  }

  it.each(["/healthz", "/readyz", "/metrics", "/api/integrations", "/", "/nope"])(
    "answers %s as not to be cached nor sniffed",
    async (path) => {
      const res = await fetch(`${await serve()}${path}`);
      await res.arrayBuffer();
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    },
  );

  it.each([
    ["/healthz", 200, "text/plain; charset=utf-8", "ok\n"],
    ["/readyz", 200, "text/plain; charset=utf-8", "ready\n"],
    ["/nope", 404, "text/plain; charset=utf-8", "not found\n"],
    ["/api/integrations", 200, "application/json", `${JSON.stringify(view, null, 2)}\n`],
  ])("answers GET %s with %i, %s and its body", async (path, status, type, body) => {
    const res = await fetch(`${await serve()}${path}`);
    expect([res.status, res.headers.get("content-type"), await res.text()]).toEqual([
      status,
      type,
      body,
    ]);
  });

  it.each(["/healthz", "/readyz", "/api/integrations", "/", "/nope"])(
    "answers HEAD %s with GET's status and length, and sends no body",
    async (path) => {
      const base = await serve();
      const get = await fetch(`${base}${path}`);
      const length = Buffer.byteLength(await get.text());
      const port = Number(new URL(base).port);
      const answer = await rawRequest(
        port,
        `HEAD ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      );
      const [head, body] = answer.split("\r\n\r\n");
      expect(head).toMatch(new RegExp(`^HTTP/1\\.1 ${get.status} `));
      expect(head).toMatch(new RegExp(`\r\ncontent-length: ${length}\r\n`, "i"));
      expect(body).toBe("");
    },
  );

  it("answers HEAD /metrics with its content type and sends no exposition", async () => {
    const port = Number(new URL(await serve()).port);
    const answer = await rawRequest(
      port,
      "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    const [head, body] = answer.split("\r\n\r\n");
    expect(head).toMatch(/^HTTP\/1\.1 200 /);
    expect(head).toMatch(/\r\ncontent-type: text\/plain; version=0\.0\.4/i);
    expect(body).toBe("");
  });

  it("answers HEAD /metrics without building the exposition, which may run to megabytes", async () => {
    let built = 0;
    const exposition = createMetrics(IDLE_SOURCES).exposition;
    server = await startHttpServer(
      {
        metrics: {
          contentType: exposition.contentType,
          pieces: () => {
            built += 1;
            return exposition.pieces();
          },
        },
        notReadyReason: () => undefined,
        status: () => view,
        log: capturingLogger().log,
      },
      "127.0.0.1:0",
    );
    const url = `http://${server.address}/metrics`;
    expect((await fetch(url, { method: "HEAD" })).status).toBe(200);
    expect(built).toBe(0);
    await (await fetch(url)).text();
    expect(built).toBe(1);
  });

  it("forbids the status page any script, load, form or frame", async () => {
    const res = await fetch(`${await serve()}/`);
    await res.arrayBuffer();
    expect(res.headers.get("content-security-policy")).toBe(
      "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
  });
});
