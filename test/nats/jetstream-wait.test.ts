import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterEach, describe, expect, it } from "vitest";
import { NatsSetupError } from "../../src/errors.js";
import { connectNats } from "../../src/nats/connection.js";
import { describeJetStreamProblem, waitForJetStream } from "../../src/nats/jetstream-wait.js";
import type { NatsAuth } from "../../src/nats/settings.js";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { waitFor } from "../support/wait.js";
import { capturingLogger } from "../support/logs.js";
import { runCli } from "../support/cli.js";

const FAST = { firstWaitMs: 100, maxWaitMs: 400 };

let server: NatsServer | undefined;
let nc: NatsConnection | undefined;
let dir: string | undefined;

afterEach(async () => {
  await nc?.close();
  nc = undefined;
  await server?.dispose();
  server = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const connectTo = (url: string, auth: NatsAuth = { kind: "none" }) =>
  connectNats({ servers: [url], auth }, { name: "jetstream-wait-test", waitOnFirstConnect: true });

describe("waiting for JetStream", () => {
  it("waits while the server runs without JetStream, says why, and resolves once JetStream answers", async () => {
    server = await startNatsServer([], { jetstream: false });
    nc = await connectTo(server.url);
    const { log, lines } = capturingLogger();
    const reasons: (string | undefined)[] = [];
    const abort = new AbortController();
    let settled = false;
    const waiting = waitForJetStream(nc, {
      log,
      signal: abort.signal,
      onWaiting: (reason) => reasons.push(reason),
      ...FAST,
    }).finally(() => (settled = true));

    const warnings = () => lines.filter((l) => l.level === "warn");
    await waitFor(() => warnings().length >= 3, { timeoutMs: 10_000, what: "three warnings" });
    expect(settled).toBe(false);
    expect(reasons[0]).toBe("JetStream is not enabled on the NATS server (no JetStream answered)");
    for (const line of warnings()) {
      expect(line.msg).toMatch(
        /^waiting for JetStream: JetStream is not enabled on the NATS server .* — start nats-server with -js .*; asking again in [\d.]+ s$/,
      );
      // Said, not traced: no stack of the client's errors every time it asks again.
      expect(line).not.toHaveProperty("err");
      expect(JSON.stringify(line)).not.toContain("    at ");
    }
    // Bounded back-off: the waits grow, and stop at the cap.
    const waits = warnings().map((l) => l.retryInSeconds);
    expect(waits.slice(0, 3)).toEqual([0.1, 0.2, 0.4]);

    await server.stop();
    await server.start({ jetstream: true });
    const jsm = await waiting;
    expect(jsm).toBeDefined();
    expect((await jsm!.getAccountInfo()).streams).toBe(0);
    expect(reasons.at(-1)).toBeUndefined();
    expect(
      lines.some((l) => l.msg === "JetStream answers now: setting up streams and consumers"),
    ).toBe(true);
  }, 30_000);

  it("ends at once, without an error, when it is stopped", async () => {
    server = await startNatsServer([], { jetstream: false });
    nc = await connectTo(server.url);
    const { log, lines } = capturingLogger();
    const abort = new AbortController();
    const waiting = waitForJetStream(nc, {
      log,
      signal: abort.signal,
      onWaiting: () => undefined,
      firstWaitMs: 60_000,
    });
    await waitFor(() => lines.some((l) => l.level === "warn"), { what: "the first warning" });
    const started = Date.now();
    abort.abort();
    expect(await waiting).toBeUndefined();
    // Not the minute of the wait it was in.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("fails, naming the subject to allow, when the NATS user may not use the JetStream API", async () => {
    dir = mkdtempSync(join(tmpdir(), "hookswitch-perm-"));
    const conf = join(dir, "nats.conf");
    writeFileSync(
      conf,
      'authorization { users = [ { user: "pub", password: "pw-perm", permissions: { publish: "pbx.>", subscribe: ">" } } ] }\n',
    );
    server = await startNatsServer(["-c", conf]);
    nc = await connectTo(server.url, { kind: "userPassword", user: "pub", password: "pw-perm" });
    const { log } = capturingLogger();
    const attempt = waitForJetStream(nc, {
      log,
      signal: new AbortController().signal,
      onWaiting: () => undefined,
      ...FAST,
    });
    await expect(attempt).rejects.toThrow(NatsSetupError);
    await expect(attempt).rejects.toThrow(
      /^NATS refused this user publishing to \$JS\.API\.INFO: allow it to publish to \$JS\.API\.INFO in the NATS server's permissions/,
    );
  });
});

describe("commands that do not wait for JetStream", () => {
  it.each([[["dlq", "list"]], [["emit", "user.created"]]])(
    "%j fails at once on a server without JetStream, saying so and what to do",
    async (args) => {
      server = await startNatsServer([], { jetstream: false });
      const result = await runCli([...args, "--nats", server.url]);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        "hookswitch: JetStream is not enabled on the NATS server (no JetStream answered) at " +
          `127.0.0.1:${server.port} — start nats-server with -js (or a jetstream block in its ` +
          "configuration)\n",
      );
    },
  );
});

describe("why JetStream does not answer", () => {
  const named = (name: string, message: string, cause?: Error) => {
    const error = new Error(message, cause ? { cause } : undefined);
    error.name = name;
    return error;
  };
  const apiError = (errCode: number, description: string, status = 500) =>
    Object.assign(named("JetStreamApiError", description), { code: errCode, status });

  it.each([
    [
      "no JetStream on the server",
      named("JetStreamNotEnabled", "jetstream is not enabled"),
      /^JetStream is not enabled on the NATS server/,
      /-js/,
    ],
    [
      "a request that timed out (no quorum)",
      named("TimeoutError", "timeout"),
      /^JetStream is not answering/,
      /without quorum/,
    ],
    [
      "a timeout wrapped in another error",
      named("RequestError", "request failed", named("TimeoutError", "timeout")),
      /^JetStream is not answering/,
      /without quorum/,
    ],
    [
      "JetStream off for the account",
      apiError(10039, "jetstream not enabled for account", 503),
      /^JetStream is not enabled for this NATS account$/,
      /account/,
    ],
    [
      "a cluster node without a meta leader",
      apiError(10008, "JetStream system temporarily unavailable", 503),
      /^JetStream is not available yet \(JetStream system temporarily unavailable\)$/,
      /without quorum/,
    ],
    [
      "another JetStream API error",
      apiError(10052, "some other failure"),
      /^JetStream answered with an error: some other failure$/,
      /server's log/,
    ],
    [
      "anything else",
      named("ClosedConnectionError", "closed connection"),
      /^JetStream request failed: closed connection$/,
      /restarting/,
    ],
  ])("names %s", (_what, error, reason, advice) => {
    const problem = describeJetStreamProblem(error);
    expect(problem.reason).toMatch(reason);
    expect(problem.advice).toMatch(advice);
  });
});
