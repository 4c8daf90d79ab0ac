/**
 * Starts a real nats-server (JetStream, temp store, free port) for one test file.
 * `start()` again keeps the port and the store, so tests can kill NATS mid-stream; it can
 * also turn JetStream on or off (a server that answers while JetStream does not).
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { natsServerBin } from "../../scripts/nats-server-bin.mjs";
import { jetstreamManager, type ConsumerInfo, type JetStreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import { connectNats, watchConnection, type ConnectionWatch } from "../../src/nats/connection.js";
import { exited, freePort, portOpen, sleep, waitFor } from "./wait.js";

export interface NatsServer {
  url: string;
  port: number;
  storeDir: string;
  /** SIGINT (clean) and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
  /** Start again on the same port and store; `jetstream` turns JetStream on or off from now on. */
  start(options?: { jetstream?: boolean }): Promise<void>;
  /** SIGSTOP: the process hangs with its connections open (a frozen server). */
  freeze(): void;
  /** SIGCONT after `freeze`. */
  thaw(): void;
  /** SIGHUP: the server reads its configuration file (`-c`) again. */
  reload(): void;
  /** Stop and remove the store. */
  dispose(): Promise<void>;
}

let version: string | undefined;

/** The version of the nats-server the tests start ("2.10.27"): some behaviour depends on it. */
export function natsServerVersion(): string | undefined {
  version ??= /v(\d+\.\d+\.\d+)/.exec(
    execFileSync(natsServerBin() ?? "nats-server", ["--version"], { encoding: "utf8" }),
  )?.[1];
  return version;
}

/**
 * `args` go to nats-server after the test's own (e.g. `["--auth", token]`); with
 * `jetstream: false` the server runs without JetStream (no `-js`).
 */
export async function startNatsServer(
  args: string[] = [],
  options: { jetstream?: boolean } = {},
): Promise<NatsServer> {
  const port = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), "hookswitch-nats-"));
  let proc: ChildProcess | undefined;
  let withJetStream = options.jetstream ?? true;

  const start = async (next: { jetstream?: boolean } = {}) => {
    withJetStream = next.jetstream ?? withJetStream;
    const jetstreamArgs = withJetStream ? ["-js", "-sd", storeDir] : [];
    proc = spawn(
      natsServerBin() ?? "nats-server",
      ["-a", "127.0.0.1", "-p", String(port), ...jetstreamArgs, ...args],
      { stdio: "ignore" },
    );
    await waitFor(() => portOpen(port), { timeoutMs: 10_000, what: `nats-server on ${port}` });
  };
  const stopWith = async (signal: NodeJS.Signals) => {
    const running = proc;
    if (!running) return;
    proc = undefined;
    running.kill(signal);
    const timer = setTimeout(() => running.kill("SIGKILL"), 5_000);
    await exited(running);
    clearTimeout(timer);
  };

  try {
    await start();
  } catch (err) {
    // Nothing is handed back to dispose of: leave no server and no store behind.
    await stopWith("SIGKILL");
    rmSync(storeDir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    stop: () => stopWith("SIGINT"),
    kill: () => stopWith("SIGKILL"),
    start,
    freeze: () => proc?.kill("SIGSTOP"),
    thaw: () => proc?.kill("SIGCONT"),
    reload: () => proc?.kill("SIGHUP"),
    async dispose() {
      // A frozen server would take SIGINT only once thawed.
      proc?.kill("SIGCONT");
      await stopWith("SIGINT");
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}

/** A server plus a connection and a JetStream manager, for tests that talk to NATS directly. */
export interface NatsWithClient {
  server: NatsServer;
  nc: NatsConnection;
  jsm: JetStreamManager;
}

export async function startNatsWithClient(name: string): Promise<NatsWithClient> {
  const server = await startNatsServer();
  const nc = await connectNats(
    { servers: [server.url], auth: { kind: "none" } },
    { name, waitOnFirstConnect: false },
  );
  return { server, nc, jsm: await jetstreamManager(nc) };
}

/**
 * One server and client for the whole test file: started before its first test (then
 * handed to `use`), closed and removed after its last.
 */
export function useNatsWithClient(name: string, use: (nats: NatsWithClient) => unknown): void {
  let started: NatsWithClient | undefined;
  beforeAll(async () => {
    started = await startNatsWithClient(name);
    await use(started);
  });
  afterAll(async () => {
    await started?.nc.close();
    await started?.server.dispose();
  });
}

/**
 * A server and client of its own for each test, and a watch of the connection (the `link`
 * hookswitch's loops and publisher take), for tests that stop and start the server.
 * `use` runs after both are up, before the test.
 */
export function useRestartableNats(
  name: string,
  use: (nats: NatsWithClient) => unknown = () => undefined,
): { readonly nats: NatsWithClient; readonly link: ConnectionWatch } {
  let nats: NatsWithClient | undefined;
  let link: ConnectionWatch | undefined;
  beforeEach(async () => {
    nats = await startNatsWithClient(name);
    link = watchConnection(nats.nc, pino({ level: "silent" }));
    await use(nats);
  });
  afterEach(async () => {
    link?.stop();
    await nats?.nc.close();
    await nats?.server.dispose();
  });
  return {
    get nats() {
      return nats!;
    },
    get link() {
      return link!;
    },
  };
}

/**
 * A consumer's info once the server has applied every ack. An ack is a publish that the
 * server applies on its own time, and hookswitch holds acks up to 10 ms to send them
 * together: read at once, the last ones may still be on their way.
 */
export function acksApplied(
  jsm: JetStreamManager,
  stream: string,
  consumer: string,
  what = "every ack applied",
): Promise<ConsumerInfo> {
  return waitFor(
    async () => {
      const info = await jsm.consumers.info(stream, consumer);
      return info.num_ack_pending === 0 ? info : undefined;
    },
    { timeoutMs: 5_000, what },
  );
}

/**
 * Deletes a stream, or a consumer of it, that a running daemon is using. nats-server 2.9
 * may answer such a delete with "unlinkat …: directory not empty" when it writes the
 * consumer's state as it removes its folder; the delete is tried again until the server
 * no longer knows the name (a few times, 200 ms apart).
 */
export async function deleteInUse(
  jsm: JetStreamManager,
  stream: string,
  consumer?: string,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      if (consumer === undefined) await jsm.streams.delete(stream);
      else await jsm.consumers.delete(stream, consumer);
      return;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (attempt > 1 && /not found/i.test(message)) return; // the earlier try removed it
      if (attempt >= 5 || !/directory not empty/.test(message)) throw err;
      await sleep(200);
    }
  }
}

/**
 * Runs `use` with a JetStream manager whose info request for `consumer` on `stream` gets the
 * answer nats-server 2.9 gives one that races the consumer's deletion: neither the consumer
 * nor an error. A real server without JetStream, and a responder on the API subject.
 */
export async function withInfoOfNoConsumer(
  stream: string,
  consumer: string,
  use: (jsm: JetStreamManager) => Promise<void>,
): Promise<void> {
  const server = await startNatsServer([], { jetstream: false });
  const client = await connect({ servers: server.url });
  try {
    const responder = client.subscribe(`$JS.API.CONSUMER.INFO.${stream}.${consumer}`);
    void (async () => {
      for await (const request of responder) {
        request.respond(
          JSON.stringify({ type: "io.nats.jetstream.api.v1.consumer_info_response" }),
        );
      }
    })();
    await use(await jetstreamManager(client, { checkAPI: false }));
  } finally {
    await client.close();
    await server.dispose();
  }
}
