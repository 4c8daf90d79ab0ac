import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nkeys } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NatsSetupError } from "../../src/errors.js";
import { connectNats, watchConnection } from "../../src/nats/connection.js";
import type { NatsSettings } from "../../src/nats/settings.js";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { freePort, sleep, waitFor } from "../support/wait.js";
import { capturingLogger } from "../support/logs.js";

let server: NatsServer;

beforeAll(async () => {
  server = await startNatsServer();
});

afterAll(async () => {
  await server?.dispose();
});

const settingsFor = (url: string): NatsSettings => ({ servers: [url], auth: { kind: "none" } });

describe("connecting to NATS", () => {
  it("fails fast with a message that names the server and says what to do", async () => {
    const port = await freePort();
    const started = Date.now();
    const attempt = connectNats(settingsFor(`nats://127.0.0.1:${port}`), {
      name: "test",
      waitOnFirstConnect: false,
    });
    await expect(attempt).rejects.toThrow(NatsSetupError);
    await expect(attempt).rejects.toThrow(
      `cannot reach NATS at nats://127.0.0.1:${port}: connection refused — start nats-server or set NATS_URL`,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("says to check the credentials, not to start a server, when the login is refused", async () => {
    const server = await startNatsServer(["--auth", "the-right-token"]);
    try {
      const attempt = connectNats(
        { servers: [server.url], auth: { kind: "token", token: "a-wrong-token" } },
        { name: "test", waitOnFirstConnect: false },
      );
      await expect(attempt).rejects.toThrow(
        /^cannot reach NATS at .*: authorization violation.* — check the NATS credentials \(NATS_USER and NATS_PASSWORD, NATS_TOKEN, NATS_CREDS, NATS_NKEY or the user-info of NATS_URL\)$/,
      );
      await expect(attempt).rejects.not.toThrow(/a-wrong-token/);
    } finally {
      await server.dispose();
    }
  });

  it("says the password is missing when a user was given without one and the login is refused", async () => {
    const server = await startNatsServer(["--user", "hooks", "--pass", "the-password"]);
    try {
      const attempt = connectNats(
        { servers: [server.url], auth: { kind: "userPassword", user: "hooks", password: "" } },
        { name: "test", waitOnFirstConnect: false },
      );
      await expect(attempt).rejects.toThrow(
        /^cannot reach NATS at .*: authorization violation.* — NATS_USER is set without NATS_PASSWORD \(or the NATS_URL user without a password\): set the user's password too$/,
      );
    } finally {
      await server.dispose();
    }
  });

  it("refuses a server that offers no TLS when the URL asks for it with tls://, and says so", async () => {
    const attempt = connectNats(settingsFor(`tls://127.0.0.1:${server.port}`), {
      name: "test",
      waitOnFirstConnect: false,
    });
    await expect(attempt).rejects.toThrow(
      /^cannot reach NATS at tls:\/\/127\.0\.0\.1:\d+: .* — the server offers no TLS, which tls:\/\/ requires: enable TLS in nats-server, or write nats:\/\/ to connect without it$/,
    );
    const plain = await connectNats(settingsFor(server.url), {
      name: "test",
      waitOnFirstConnect: false,
    });
    await plain.close();
  });

  it("never shows a URL's user-info in its error", async () => {
    const port = await freePort();
    const attempt = connectNats(settingsFor(`nats://hooks:s3cret@127.0.0.1:${port}`), {
      name: "test",
      waitOnFirstConnect: false,
    });
    const error = await attempt.then(
      () => new Error("connected, but the port was free"),
      (err: unknown) => err as Error,
    );
    expect(error.message).toContain("nats://****@127.0.0.1");
    expect(error.message).not.toContain("s3cret");
  });

  it("says so when the credentials file cannot be read", async () => {
    const settings: NatsSettings = {
      servers: [server.url],
      auth: { kind: "creds", file: "/nonexistent/hookswitch-test.creds" },
    };
    await expect(connectNats(settings, { name: "t", waitOnFirstConnect: false })).rejects.toThrow(
      /NATS_CREDS/,
    );
  });

  it("says to fix the credentials file, not to start a server, when it holds no NATS credentials", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hookswitch-creds-"));
    const seed = new TextDecoder().decode(nkeys.createUser().getSeed());
    const jwt =
      "-----BEGIN NATS USER JWT-----\neyJ0eXAiOiJKV1QifQ.e30.c2ln\n------END NATS USER JWT------\n";
    const seedBlock = (text: string) =>
      `-----BEGIN USER NKEY SEED-----\n${text}\n------END USER NKEY SEED------\n`;
    const attempt = (name: string, text: string) => {
      const file = join(dir, name);
      writeFileSync(file, text);
      const settings: NatsSettings = { servers: [server.url], auth: { kind: "creds", file } };
      return connectNats(settings, { name: "t", waitOnFirstConnect: false });
    };
    try {
      for (const [name, text] of [
        ["not-creds.creds", "a password, not a credentials file\n"],
        ["bad-seed.creds", `${jwt}\n${seedBlock(`${seed.slice(0, -4)}AAAA`)}`],
      ] as const) {
        const error = await attempt(name, text).then(
          () => new Error("connected"),
          (err: unknown) => err as Error,
        );
        expect(error).toBeInstanceOf(NatsSetupError);
        expect(error.message).toMatch(
          /^the file named by NATS_CREDS \(.*\) holds no usable NATS credentials/,
        );
        expect(error.message).not.toMatch(/start nats-server/);
      }
      // A well-formed file gets past the check (this server asks for no credentials).
      const nc = await attempt("good.creds", `${jwt}\n${seedBlock(seed)}`);
      await nc.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("watching the connection", () => {
  it("tracks and logs a disconnect and a reconnect, and tells when it is back", async () => {
    const { log, lines } = capturingLogger();
    const nc = await connectNats(settingsFor(server.url), {
      name: "watch-test",
      log,
      waitOnFirstConnect: true,
    });
    const watch = watchConnection(nc, log);
    try {
      expect(watch.isConnected()).toBe(true);
      expect(watch.disconnections()).toBe(0);
      await watch.connected(); // at once while up
      await server.stop();
      await waitFor(() => !watch.isConnected(), { timeoutMs: 5_000, what: "disconnected" });
      let back = false;
      const whenBack = watch.connected().then(() => (back = watch.isConnected()));
      await sleep(100);
      expect(back).toBe(false);
      await server.start();
      await whenBack;
      expect(back).toBe(true);
      expect(watch.disconnections()).toBe(1);
      const types = lines.map((line) => line.type).filter(Boolean);
      expect(types).toEqual(expect.arrayContaining(["disconnect", "reconnect"]));
      // Losing NATS is a warning (alerts on warn see it); getting it back is news.
      const levelOf = (type: string) => lines.find((line) => line.type === type)?.level;
      expect([levelOf("disconnect"), levelOf("reconnect")]).toEqual(["warn", "info"]);
      expect(lines.every((line) => line.level !== "error")).toBe(true);
    } finally {
      watch.stop();
      await nc.close();
    }
    expect(watch.isConnected()).toBe(false);
    // Closing at the end is no loss of the connection.
    expect(watch.disconnections()).toBe(1);
  });

  it("notices a hung server within 30 s by its unanswered pings, and reconnects once it answers", async () => {
    const hung = await startNatsServer();
    const { log, lines } = capturingLogger();
    // The production ping interval: this is what a daemon does by default.
    const nc = await connectNats(settingsFor(hung.url), {
      name: "hung-test",
      log,
      waitOnFirstConnect: true,
    });
    const watch = watchConnection(nc, log);
    try {
      hung.freeze();
      const frozenAt = Date.now();
      await waitFor(() => !watch.isConnected(), {
        timeoutMs: 45_000,
        intervalMs: 100,
        what: "the hung server noticed",
      });
      expect(Date.now() - frozenAt).toBeLessThanOrEqual(40_000);
      expect(
        lines.some((l) => l.level === "warn" && /stopped answering pings/.test(String(l.msg))),
      ).toBe(true);
      hung.thaw();
      await waitFor(() => watch.isConnected(), { timeoutMs: 15_000, what: "reconnected" });
      await nc.flush();
      expect(watch.disconnections()).toBeGreaterThanOrEqual(1);
    } finally {
      hung.thaw();
      watch.stop();
      await nc.close();
      await hung.dispose();
    }
  }, 60_000);
});
