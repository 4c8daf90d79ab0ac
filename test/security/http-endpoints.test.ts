import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDaemon, tempDir, type RunningDaemon } from "../support/daemon.js";
import { rssMb } from "../support/ledger.js";
import { freePort, waitFor } from "../support/wait.js";

/** Sends raw bytes and returns the status code of the first answer (0 if the socket closed). */
function rawStatus(port: number, head: string): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1", () => socket.end(head));
    let data = "";
    socket.on("data", (c: Buffer) => (data += c.toString("latin1")));
    socket.on("error", () => undefined);
    socket.on("close", () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0)));
  });
}

/**
 * Sends a request head that announces a 200 MiB body, then only 64 KiB of it, and keeps the
 * socket open: the status of the answer, and whether the daemon closed the connection within
 * 5 s instead of waiting for the rest of the body.
 */
function announcedBodyAnswer(
  port: number,
  method: string,
): Promise<{ status: number; closed: boolean }> {
  return new Promise((resolve) => {
    let data = "";
    const done = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0), closed });
    };
    const socket = connect(port, "127.0.0.1", () => {
      socket.write(
        `${method} /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: ${200 * 1024 * 1024}\r\n\r\n`,
      );
      socket.write(Buffer.alloc(64 * 1024, 0x61));
    });
    socket.on("data", (c: Buffer) => (data += c.toString("latin1")));
    socket.on("error", () => undefined);
    socket.on("end", () => done(true));
    socket.on("close", () => done(true));
    const timer = setTimeout(() => done(false), 5_000);
  });
}

describe("the operations endpoints under hostile requests", () => {
  let daemon: RunningDaemon;
  let dir: ReturnType<typeof tempDir>;
  let port: number;

  beforeAll(async () => {
    dir = tempDir();
    // No NATS: the endpoints are served while the daemon waits for it.
    daemon = await startDaemon({
      natsUrl: `nats://127.0.0.1:${await freePort()}`,
      dir: dir.path,
      waitReady: false,
    });
    await waitFor(
      () =>
        fetch(`${daemon.http}/healthz`).then(
          (r) => r.ok,
          () => false,
        ),
      {
        what: "healthz",
      },
    );
    port = Number(new URL(daemon.http).port);
  });
  afterAll(async () => {
    daemon?.child.kill("SIGKILL");
    await daemon?.exited;
    dir?.cleanup();
  });

  it.each(["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])(
    "answers %s with 405 and Allow",
    async (method) => {
      for (const path of ["/", "/api/integrations", "/readyz", "/nowhere"]) {
        const response = await fetch(`${daemon.http}${path}`, { method });
        expect(response.status).toBe(405);
        expect(response.headers.get("allow")).toBe("GET, HEAD");
      }
    },
  );

  it("answers a 64 KiB header with 431", async () => {
    const status = await rawStatus(
      port,
      `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(64 * 1024)}\r\n\r\n`,
    );
    expect(status).toBe(431);
  });

  it("answers a request with too many headers without serving it whole", async () => {
    const many = Array.from({ length: 2_000 }, (_, i) => `X-H${i}: v\r\n`).join("");
    const status = await rawStatus(port, `GET /healthz HTTP/1.1\r\nHost: x\r\n${many}\r\n`);
    expect([200, 400, 431]).toContain(status);
  });

  it.each([
    ["GET", 200],
    ["POST", 405],
  ])(
    "answers %s with a body it does not read, then closes the connection",
    async (method, status) => {
      expect(await announcedBodyAnswer(port, method)).toEqual({ status, closed: true });
    },
  );

  it("keeps the connection of a request without a body for the next one", async () => {
    const answers = await new Promise<string>((resolve) => {
      let data = "";
      const request = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
      const socket = connect(port, "127.0.0.1", () => socket.write(request));
      const timer = setTimeout(() => finish(), 5_000);
      const finish = () => {
        clearTimeout(timer);
        socket.destroy();
        resolve(data);
      };
      socket.on("data", (c: Buffer) => {
        const first = data === "";
        data += c.toString("latin1");
        // The second request goes on the same connection, once the first is answered.
        if (first) socket.write(request);
        else if ((data.match(/HTTP\/1\.1 200 /g) ?? []).length === 2) finish();
      });
      socket.on("error", () => undefined);
      socket.on("close", finish);
    });
    expect(answers.match(/HTTP\/1\.1 200 /g)).toHaveLength(2);
    expect(answers).toMatch(/\r\nConnection: keep-alive\r\n/i);
  });

  it("does not buffer a 200 MB body sent with GET", async () => {
    const pid = daemon.child.pid!;
    const before = rssMb(pid)!;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid) ?? 0)), 50);
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    const total = 200;
    const sent = await new Promise<number>((resolve) => {
      let written = 0;
      const socket: Socket = connect(port, "127.0.0.1", () => {
        socket.write(
          `GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: ${total * chunk.length}\r\n\r\n`,
        );
        const pump = () => {
          while (written < total && !socket.destroyed) {
            written++;
            if (!socket.write(chunk)) return void socket.once("drain", pump);
          }
          socket.end();
        };
        pump();
      });
      socket.on("data", () => undefined);
      socket.on("error", () => resolve(written));
      socket.on("close", () => resolve(written));
      setTimeout(() => socket.destroy(), 20_000);
    });
    clearInterval(sampler);
    console.log(
      `[security] GET with body: sent ${sent} MiB, daemon RSS ${before.toFixed(0)} -> peak ${peak.toFixed(0)} MiB`,
    );
    expect(peak - before).toBeLessThan(64);
    expect((await fetch(`${daemon.http}/healthz`)).status).toBe(200);
  }, 30_000);
});
