import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { applyBooleanEnv } from "../../../src/commands/options/env-flags.js";
import { UsageError } from "../../../src/errors.js";
import {
  addNatsOptions,
  parseNatsSettings,
  type NatsEnv,
} from "../../../src/commands/options/nats-options.js";
import { credentialsFromUrls, redactServer } from "../../../src/nats/url-credentials.js";
import { withOnlyEnv } from "../../support/env.js";

/** Parses argv through a real commander command, with only the given env variables set. */
function parse(argv: string[], env: NatsEnv = {}, jetstream = true) {
  return withOnlyEnv(env, () => {
    const cmd = addNatsOptions(
      new Command("t").exitOverride().configureOutput({ writeErr: () => undefined }),
      { jetstream },
    );
    // As the CLI runs a command: switches read from the environment by their value.
    cmd.hook("preAction", applyBooleanEnv).action(() => undefined);
    cmd.parse(argv, { from: "user" });
    return parseNatsSettings(cmd.opts(), env);
  });
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
        maxWaitingRetries: 500_000,
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
      "--max-waiting-retries",
      "2000000",
      "--stream-max-age",
      "7d",
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
        streamMaxAgeMs: 7 * 86_400_000,
        maxWaitingRetries: 2_000_000,
      },
    });
  });

  it.each([1, 3, 5])("takes --stream-replicas %i", (replicas) => {
    expect(parse(["--stream-replicas", String(replicas)]).jetstream?.replicas).toBe(replicas);
  });

  it.each(["0", "6", "two", "1.5", "0x3", "3e0"])("refuses --stream-replicas %s", (value) => {
    expect(() => parse(["--stream-replicas", value])).toThrow(/--stream-replicas must be/);
  });

  it.each<[string, number]>([
    ["7d", 7 * 86_400_000],
    ["48h", 48 * 3_600_000],
    ["90m", 90 * 60_000],
    ["60s", 60_000],
    ["60000ms", 60_000],
    [" 1d ", 86_400_000],
  ])("reads --stream-max-age %j as %d ms", (value, ms) => {
    expect(parse(["--stream-max-age", value]).jetstream?.streamMaxAgeMs).toBe(ms);
    expect(parse([], { HOOKSWITCH_STREAM_MAX_AGE: value }).jetstream?.streamMaxAgeMs).toBe(ms);
  });

  it.each(["0d", "59s", "59999ms", "500ms", "7days", "7", "week", "-1d", "1.5d", "999999999999d"])(
    "refuses --stream-max-age %j",
    (value) => {
      expect(() => parse(["--stream-max-age", value])).toThrow(
        /--stream-max-age ".*" is not a max age: give a duration of a minute or more, like 7d/,
      );
    },
  );

  it.each(["0", "99", "-1", "many", "1e6"])("refuses --max-waiting-retries %s", (value) => {
    expect(() => parse(["--max-waiting-retries", value])).toThrow(
      `--max-waiting-retries must be a whole number ≥ 100, not "${value}"`,
    );
  });

  it("reads the environment variables, and flags win over them", () => {
    const env = {
      NATS_URL: "nats://env:1",
      HOOKSWITCH_STREAM: "FROM_ENV",
      HOOKSWITCH_CONSUMER: "c",
      HOOKSWITCH_DELIVER: "ALL",
    };
    expect(parse([], env).servers).toEqual(["nats://env:1"]);
    expect(parse([], env).jetstream).toMatchObject({
      stream: "FROM_ENV",
      consumer: "c",
      deliver: "all",
    });
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

  it.each([
    [["--inbox-prefix", "_INBOX_hookswitch"], {}, "_INBOX_hookswitch"],
    [[], { NATS_INBOX_PREFIX: "replies.hookswitch" }, "replies.hookswitch"],
    [["--inbox-prefix", "flag"], { NATS_INBOX_PREFIX: "env" }, "flag"],
    [["--inbox-prefix", " _INBOX_hs "], {}, "_INBOX_hs"],
    [[], { NATS_INBOX_PREFIX: " " }, undefined],
    [[], {}, undefined],
  ])("reads the inbox prefix from %j and %j as %j", (argv, env, prefix) => {
    expect(parse(argv, env, false).inboxPrefix).toBe(prefix);
  });

  it.each(["a.*", "a.>", "two words", "a..b", ".a", "a."])(
    "refuses --inbox-prefix %j, saying what a prefix is",
    (value) => {
      expect(() => parse(["--inbox-prefix", value], {}, false)).toThrow(
        `--inbox-prefix "${value}" is not a subject prefix: give tokens separated by dots, ` +
          "without spaces, * or > (for example _INBOX_hookswitch)",
      );
    },
  );

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
    [{ NATS_PASSWORD: " " }, { kind: "none" }],
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
    [["--stream", "a.b"], '--stream "a.b" is not a valid name (no spaces, dots, * or >)'],
    [["--stream", "EV*"], '--stream "EV*" is not a valid name (no spaces, dots, * or >)'],
    [["--stream", "EV>"], '--stream "EV>" is not a valid name (no spaces, dots, * or >)'],
    [["--consumer", "hs 2"], '--consumer "hs 2" is not a valid name (no spaces, dots, * or >)'],
    [["--consumer", "hs*"], '--consumer "hs*" is not a valid name (no spaces, dots, * or >)'],
    [["--consumer", "hs>"], '--consumer "hs>" is not a valid name (no spaces, dots, * or >)'],
    [["--subjects", "a b"], '--subjects: "a b" is not a NATS subject: it holds white space'],
    [
      ["--subjects", "pbx.>,pbx..x"],
      '--subjects: "pbx..x" is not a NATS subject: it has an empty token (a dot at its start or end, or two together)',
    ],
    [
      ["--subjects", ".pbx"],
      '--subjects: ".pbx" is not a NATS subject: it has an empty token (a dot at its start or end, or two together)',
    ],
    [
      ["--subjects", "pbx."],
      '--subjects: "pbx." is not a NATS subject: it has an empty token (a dot at its start or end, or two together)',
    ],
    [
      ["--subjects", "pbx.>.created"],
      '--subjects: "pbx.>.created" is not a NATS subject: its > stands before other tokens, and > matches the rest of a subject: put it last',
    ],
  ])("refuses %j: %s", (argv, message) => {
    const error = catchError(() => parse(argv));
    expect(error).toBeInstanceOf(UsageError);
    expect(error?.message).toBe(message);
  });

  it.each(["pbx.>", "pbx.*.mycloudpbx.>", "pbx.acme.>,pbx.other.>", ">", "*", "pbx.a*b", "pbx.a>"])(
    "takes the subjects %j",
    (subjects) => {
      expect(parse(["--subjects", subjects]).jetstream?.subjects).toEqual(subjects.split(","));
    },
  );

  it.each([
    ["nats://user:secret@host:4222", "nats://****@host:4222"],
    ["tls://token@host", "tls://****@host"],
    ["user:pw@host:4222", "****@host:4222"],
    ["nats://host:4222", "nats://host:4222"],
    ["127.0.0.1:4222", "127.0.0.1:4222"],
    // Unencoded @ or / in a password: nothing of it is shown.
    ["nats://user:p@ss@host:4222", "nats://****@host:4222"],
    ["nats://user:pa/ss@host:4222", "nats://****@host:4222"],
    ["wss://user:pw@nats.example.com:443", "wss://****@nats.example.com:443"],
    // A line break in the user-info hides nothing of it either.
    ["nats://user:pass\nword@host:4222", "nats://****@host:4222"],
    ["nats://user:pass\r\n@host:4222", "nats://****@host:4222"],
  ])("shows %j as %j in logs", (server, shown) => {
    expect(redactServer(server)).toBe(shown);
  });
});

describe("NATS settings refused before anything starts", () => {
  it.each([" , ", ","])("says --nats %j names no server", (value) => {
    expect(catchError(() => parse(["--nats", value]))?.message).toBe(
      "--nats needs at least one server URL",
    );
  });

  it("names a server the client could not connect to by its place in the list", () => {
    const error = catchError(() => parse(["--nats", "nats://a:4222,nats://b:99999"]));
    expect(error).toBeInstanceOf(UsageError);
    expect(error?.message).toMatch(/^server 2 of the --nats \(NATS_URL\) list is not a valid URL /);
  });

  it("refuses a --deliver it was handed past commander's choices", () => {
    const error = catchError(() => parseNatsSettings({ stream: "EV", deliver: "last" }, {}));
    expect(error).toBeInstanceOf(UsageError);
    expect(error?.message).toBe('--deliver must be "new" or "all", not "last"');
  });
});

describe("NATS flags in --help", () => {
  const help = addNatsOptions(new Command("t"), { jetstream: true }).helpInformation();

  it.each([
    ["--nats", 'default: "nats://127.0.0.1:4222", env: NATS_URL'],
    ["--deliver", 'default: "new", env: HOOKSWITCH_DELIVER'],
    ["--stream-replicas", 'default: "1", env: HOOKSWITCH_STREAM_REPLICAS'],
    ["--max-waiting-retries", 'default: "500000", env: HOOKSWITCH_MAX_WAITING_RETRIES'],
    ["--consumer", 'default: "hookswitch", env: HOOKSWITCH_CONSUMER'],
  ])("shows %s with its default and its variable", (flag, shown) => {
    const entry = help.slice(help.indexOf(`${flag} `)).split(/\n\s+-/)[0] ?? "";
    expect(entry.replace(/\s+/g, " ")).toContain(shown);
  });
});

describe("credentials in the server URLs", () => {
  it.each([
    [["nats://host:4222"], ["nats://host:4222"], { kind: "none" }],
    [
      ["nats://hooks:s3cret@host:4222"],
      ["nats://host:4222"],
      { kind: "userPassword", user: "hooks", password: "s3cret" },
    ],
    [["nats://the-token@host"], ["nats://host"], { kind: "token", token: "the-token" }],
    [
      ["tls://u%40corp:p%40ss%3Aw%2Frd%25@host:4443"],
      ["tls://host:4443"],
      { kind: "userPassword", user: "u@corp", password: "p@ss:w/rd%" },
    ],
    // The first colon splits: a password may hold more.
    [["nats://u:a:b@host"], ["nats://host"], { kind: "userPassword", user: "u", password: "a:b" }],
    [["nats://u:@host"], ["nats://host"], { kind: "userPassword", user: "u", password: "" }],
    // An unencoded @ stays in the password, as in the Go client.
    [
      ["nats://u:p@ss@host"],
      ["nats://host"],
      { kind: "userPassword", user: "u", password: "p@ss" },
    ],
    [
      ["u:p@127.0.0.1:4222"],
      ["127.0.0.1:4222"],
      { kind: "userPassword", user: "u", password: "p" },
    ],
    [["tok%2Fen@127.0.0.1:4222"], ["127.0.0.1:4222"], { kind: "token", token: "tok/en" }],
    [
      ["nats://u:p@a:4222", "nats://u:p@b:4222"],
      ["nats://a:4222", "nats://b:4222"],
      { kind: "userPassword", user: "u", password: "p" },
    ],
    // Same credentials however they are encoded.
    [["nats://t%41@a", "nats://tA@b"], ["nats://a", "nats://b"], { kind: "token", token: "tA" }],
    // One connection, one set of credentials: a URL without user-info uses them too.
    [
      ["nats://u:p@a:4222", "nats://b:4222"],
      ["nats://a:4222", "nats://b:4222"],
      { kind: "userPassword", user: "u", password: "p" },
    ],
    // Its scheme makes it a server of its own, not the second half of a password cut at a comma.
    [
      ["nats://a:4222", "nats://u:p@b:4222"],
      ["nats://a:4222", "nats://b:4222"],
      { kind: "userPassword", user: "u", password: "p" },
    ],
  ])("reads %j as servers %j with %j", (urls, servers, auth) => {
    expect(credentialsFromUrls(urls)).toEqual({ servers, auth });
  });

  it.each([
    [["nats://@host"], /has an "@" but no user or token before it/],
    [["nats://:secret-pw@host"], /has a password but no user name/],
    [["nats://u:bad%zzsecret@host"], /not valid percent-encoding/],
    [["nats://u:secret-pw@a", "nats://u:other-pw@b"], /carry different credentials/],
    [["nats://u:secret-pw@a", "nats://secret-tok@b"], /carry different credentials/],
    [["nats://v:secret-pw@a", "nats://u:secret-pw@b"], /carry different credentials/],
    // NATS_URL=nats://u:secret,pw@host, cut at its comma.
    [["nats://u:secret", "pw@host"], /server 2 of the --nats list .* write it as %2C/],
    [["nats://secret", "tok@host"], /server 2 of the --nats list has user-info but no scheme/],
    [["nats://u:1234", "secret", "pw@host"], /server 3 of the --nats list/],
  ])("refuses %j as a usage error that shows no secret", (urls, message) => {
    const error = catchError(() => credentialsFromUrls(urls));
    expect(error).toBeInstanceOf(UsageError);
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toMatch(/secret|other-pw|bad%zz/);
  });

  it("takes the URL's credentials through NATS_URL and --nats, and leaves them out of the servers", () => {
    const env = { NATS_URL: "nats://hooks:s3cret@env:4222" };
    expect(parse([], env)).toMatchObject({
      servers: ["nats://env:4222"],
      auth: { kind: "userPassword", user: "hooks", password: "s3cret" },
    });
    expect(parse(["--nats", "nats://tok@flag:4222"], {}, false)).toEqual({
      servers: ["nats://flag:4222"],
      auth: { kind: "token", token: "tok" },
    });
  });

  it.each([
    [{ NATS_USER: "u", NATS_PASSWORD: "p" }, "NATS_USER and NATS_PASSWORD are set"],
    [{ NATS_PASSWORD: "p" }, "NATS_PASSWORD is set"],
    [{ NATS_TOKEN: "t" }, "NATS_TOKEN is set"],
    [{ NATS_CREDS: "/secrets/user.creds" }, "NATS_CREDS is set"],
  ])("refuses URL credentials together with %j, naming both", (vars, named) => {
    const env = { NATS_URL: "nats://hooks:s3cret@host:4222", ...vars };
    const error = catchError(() => parse([], env));
    expect(error).toBeInstanceOf(UsageError);
    expect(error?.message).toBe(
      `the --nats URL (NATS_URL) carries credentials and ${named} too: give the NATS credentials in one place only`,
    );
  });

  it("takes the URL's credentials beside credential variables set blank", () => {
    const env = { NATS_URL: "tok@host:4222", NATS_TOKEN: "", NATS_PASSWORD: "  " };
    expect(parse([], env).auth).toEqual({ kind: "token", token: "tok" });
  });

  it("refuses a password with a comma in NATS_URL without showing any part of it", () => {
    // Split at the comma, "nats://hooks:1234" was a server of its own: shown, and dialled.
    const error = catchError(() => parse([], { NATS_URL: "nats://hooks:1234,s3cret@host:4222" }));
    expect(error).toBeInstanceOf(UsageError);
    expect(error?.message).not.toMatch(/hooks|1234|s3cret/);
    expect(parse([], { NATS_URL: "nats://hooks:1234%2Cs3cret@host:4222" })).toMatchObject({
      servers: ["nats://host:4222"],
      auth: { kind: "userPassword", user: "hooks", password: "1234,s3cret" },
    });
  });

  it("takes the credential variables as before when the URL carries none", () => {
    const env = { NATS_URL: "nats://host:4222", NATS_TOKEN: "t" };
    expect(parse([], env).auth).toEqual({ kind: "token", token: "t" });
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
