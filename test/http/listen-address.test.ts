/**
 * `run` with `--http-addr` it cannot listen on: one clear line says why and what to do, and
 * the daemon stops (exit 1) before it connects to NATS or starts anything else.
 */
import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { tempDir } from "../support/daemon.js";
import { freePort } from "../support/wait.js";

/** `run` on `addr`, which it must fail to listen on: exit 1, and its fatal log line. */
async function runOn(dir: string, addr: string) {
  const natsPort = await freePort(); // nothing listens: NATS must not be reached for
  const result = await runCli(["run", "--dir", dir, "--http-addr", addr], {
    env: { LOG_LEVEL: "info", NATS_URL: `nats://127.0.0.1:${natsPort}` },
  });
  expect(result.code).toBe(1);
  const fatal = result.stderr.split("\n").find((line) => line.includes('"level":"fatal"'));
  return { result, fatal: JSON.parse(fatal ?? "{}") as unknown };
}

describe("hookswitch run on an --http-addr already in use", () => {
  const dir = tempDir();
  let taken: Server;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(port, "127.0.0.1", resolve));
  });

  afterAll(async () => {
    await new Promise((resolve) => taken.close(resolve));
    dir.cleanup();
  });

  it("says the address is in use and how to choose another, and exits 1", async () => {
    const { result, fatal } = await runOn(dir.path, `127.0.0.1:${port}`);
    expect(fatal).toMatchObject({
      err: {
        type: "HttpListenError",
        message: expect.stringMatching(
          new RegExp(
            `^cannot listen on 127\\.0\\.0\\.1:${port} for the HTTP endpoints: the address is in ` +
              "use \\(another hookswitch\\?\\): stop what listens there, or choose a free port " +
              "\\(--http-addr, HOOKSWITCH_HTTP_ADDR\\)",
          ),
        ) as unknown,
      },
    });
    expect(result.stderr).not.toContain("waiting for NATS");
    // Neither its own stack nor its cause's (the listen error's, as "caused by").
    expect(fatal).toHaveProperty("err.stack", "");
    expect(result.stderr).not.toContain("caused by");
  });
});

describe("hookswitch run on an --http-addr of no interface of this host", () => {
  const dir = tempDir();
  afterAll(() => dir.cleanup());

  it("says no interface has it and what to listen on instead, and exits 1", async () => {
    // 192.0.2.1 is kept for documentation (RFC 5737): no interface here has it, and a failed
    // listen sends nothing.
    const { result, fatal } = await runOn(dir.path, "192.0.2.1:9464");
    expect(fatal).toMatchObject({
      err: {
        type: "HttpListenError",
        message:
          "cannot listen on 192.0.2.1:9464 for the HTTP endpoints: no network interface of this " +
          "host has that address: use 0.0.0.0, 127.0.0.1 or one of its own (--http-addr, " +
          "HOOKSWITCH_HTTP_ADDR)",
      },
    });
    expect(result.stderr).not.toContain("waiting for NATS");
  });
});
