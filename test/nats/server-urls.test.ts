import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { checkServerUrls } from "../../src/nats/server-urls.js";
import { runCli } from "../support/cli.js";

describe("checking --nats server URLs", () => {
  it.each([
    "nats://127.0.0.1:4222",
    "tls://nats.example.com:4222",
    "nats://nats",
    "127.0.0.1:4222",
    "localhost",
    "nats://[::1]:4222",
    "::1",
    "NATS://host:4222",
  ])("takes %s", (server) => {
    expect(() => checkServerUrls([server])).not.toThrow();
  });

  it.each([
    ["nats://127.0.0.1:99999", "is not a valid URL"],
    ["nats://host:abc", "is not a valid URL"],
    ["nats://a b:4222", "is not a valid URL"],
    ["nats://:4222", "is not a valid URL"],
    ["nats://", "names no host"],
    ["nats://host:0", "has port 0"],
    ["ws://host:8080", "is a websocket URL"],
    ["wss://host:443", "is a websocket URL"],
    ["WSS://host:443", "is a websocket URL"],
    ["bogus://host:4222", "has the scheme bogus://, which is not NATS's"],
    ["http://host:4222", "has the scheme http://, which is not NATS's"],
  ])("refuses %s: it %s", (server, problem) => {
    expect(() => checkServerUrls([server])).toThrow(`the --nats (NATS_URL) server ${problem}`);
    expect(() => checkServerUrls(["nats://fine:4222", "nats://fine:4223", server])).toThrow(
      `server 3 of the --nats (NATS_URL) list ${problem}`,
    );
  });

  // A user-info whose @ was left out or mistyped reads as a host and a port.
  it.each([
    "nats://natsuser:Zq7SECRET 127.0.0.1:4222",
    "nats://natsuser:Zq7SECRET#127.0.0.1:4222",
    "nats://natsuser:Zq7SECRET127.0.0.1:4222",
    "ws://natsuser:Zq7SECRET",
    "nats://natsuser:Zq7SECRET@host:99999",
  ])("refuses %s without repeating any of it", (server) => {
    const error = (() => {
      try {
        checkServerUrls([server]);
      } catch (err) {
        return err as Error;
      }
    })();
    expect(error).toBeInstanceOf(UsageError);
    expect(error?.message).not.toMatch(/Zq7|natsuser/);
  });
});

describe("hookswitch with a --nats URL no client can use", () => {
  it.each([[["run", "--http-addr", "127.0.0.1:0"]], [["dlq", "list"]], [["emit", "user.created"]]])(
    "%j is a usage error (exit 2) before anything starts",
    async (args) => {
      const result = await runCli([...args, "--nats", "nats://127.0.0.1:99999"], {
        env: { LOG_LEVEL: "info" },
      });
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(
        "hookswitch: the --nats (NATS_URL) server is not a valid URL (a host, and a port from " +
          "1 to 65535; user-info ends at an @): write nats://host:4222 (tls://host:4222 to " +
          "require TLS), several separated by commas\n",
      );
      expect(result.stdout).toBe("");
    },
  );
});
