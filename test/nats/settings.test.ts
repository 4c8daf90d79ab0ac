import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { applyBooleanEnv } from "../../src/commands/env-flags.js";
import { UsageError } from "../../src/errors.js";
import {
  addNatsOptions,
  parseNatsSettings,
  redactServer,
  type NatsEnv,
} from "../../src/nats/settings.js";

/** Parses argv through a real commander command, with only the given env variables set. */
function parse(argv: string[], env: NatsEnv = {}, jetstream = true) {
  const saved = { ...process.env };
  for (const key of Object.keys(process.env)) {
    if (key.startsWith("NATS_") || key.startsWith("HOOKSWITCH_")) delete process.env[key];
  }
  Object.assign(process.env, env);
  try {
    const cmd = addNatsOptions(
      new Command("t").exitOverride().configureOutput({ writeErr: () => undefined }),
      { jetstream },
    );
    // As the CLI runs a command: switches read from the environment by their value.
    cmd.hook("preAction", applyBooleanEnv).action(() => undefined);
    cmd.parse(argv, { from: "user" });
    return parseNatsSettings(cmd.opts(), env);
  } finally {
    process.env = saved;
  }
}

describe("NATS settings", () => {
  it("defaults to a local server, PBX_EVENTS on pbx.>, consumer hookswitch, new events, stream creation", () => {
    expect(parse([])).toEqual({
      servers: ["nats://127.0.0.1:4222"],
      auth: { kind: "none" },
      jetstream: {
        stream: "PBX_EVENTS",
        subjects: ["pbx.>"],
        consumer: "hookswitch",
        deliver: "new",
        createStream: true,
        replicas: 1,
      },
    });
  });

  it("reads every flag", () => {
    const settings = parse([
      "--nats",
      "nats://a:4222, nats://b:4222",
      "--stream",
      "EV",
      "--subjects",
      "pbx.acme.>,pbx.other.>",
      "--consumer",
      "hs2",
      "--deliver",
      "all",
      "--no-create-stream",
      "--stream-replicas",
      "3",
    ]);
    expect(settings).toEqual({
      servers: ["nats://a:4222", "nats://b:4222"],
      auth: { kind: "none" },
      jetstream: {
        stream: "EV",
        subjects: ["pbx.acme.>", "pbx.other.>"],
        consumer: "hs2",
        deliver: "all",
        createStream: false,
        replicas: 3,
      },
    });
  });

  it.each(["0", "6", "two", "1.5"])("refuses --stream-replicas %s", (value) => {
    expect(() => parse(["--stream-replicas", value])).toThrow(/--stream-replicas must be/);
  });

  it("reads the environment variables, and flags win over them", () => {
    const env = {
      NATS_URL: "nats://env:1",
      HOOKSWITCH_STREAM: "FROM_ENV",
      HOOKSWITCH_CONSUMER: "c",
    };
    expect(parse([], env).servers).toEqual(["nats://env:1"]);
    expect(parse([], env).jetstream?.stream).toBe("FROM_ENV");
    expect(parse(["--stream", "FLAG"], env).jetstream?.stream).toBe("FLAG");
  });

  it.each([
    ["true", false],
    ["1", false],
    ["false", true],
    ["", true],
  ])("reads HOOKSWITCH_NO_CREATE_STREAM=%j as creating the stream: %s", (value, create) => {
    const env = { HOOKSWITCH_NO_CREATE_STREAM: value };
    expect(parse([], env).jetstream?.createStream).toBe(create);
  });

  it("leaves out the JetStream names for commands that do not take them", () => {
    expect(parse([], {}, false)).toEqual({
      servers: ["nats://127.0.0.1:4222"],
      auth: { kind: "none" },
    });
  });

  it.each([
    [{}, { kind: "none" }],
    [
      { NATS_USER: "u", NATS_PASSWORD: "p" },
      { kind: "userPassword", user: "u", password: "p" },
    ],
    [{ NATS_TOKEN: "t" }, { kind: "token", token: "t" }],
    [{ NATS_CREDS: "/secrets/user.creds" }, { kind: "creds", file: "/secrets/user.creds" }],
    [{ NATS_TOKEN: "  " }, { kind: "none" }],
  ])("turns credential variables %j into %j", (env, auth) => {
    expect(parse([], env).auth).toEqual(auth);
  });

  it.each([
    [["--deliver", "last"], {}],
    [["--stream", "a.b"], {}],
    [["--consumer", "has space"], {}],
    [["--subjects", " , "], {}],
    [[], { NATS_TOKEN: "t", NATS_USER: "u" }],
    [[], { NATS_PASSWORD: "p" }],
  ])("rejects %j with env %j as a usage error", (argv, env) => {
    const error = catchError(() => parse(argv, env));
    // commander rejects a bad choice itself (exit 2 in the CLI); everything else is ours.
    expect(error instanceof UsageError || error?.name === "CommanderError").toBe(true);
  });

  it.each([
    ["nats://user:secret@host:4222", "nats://****@host:4222"],
    ["tls://token@host", "tls://****@host"],
    ["user:pw@host:4222", "****@host:4222"],
    ["nats://host:4222", "nats://host:4222"],
    ["127.0.0.1:4222", "127.0.0.1:4222"],
  ])("shows %s as %s in logs", (server, shown) => {
    expect(redactServer(server)).toBe(shown);
  });
});

function catchError(action: () => unknown): Error | undefined {
  try {
    action();
    return undefined;
  } catch (err) {
    return err as Error;
  }
}
