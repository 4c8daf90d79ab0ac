import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Command, Option } from "commander";
import { normalizeOptionEnv, parseBooleanEnv } from "../../../src/commands/options/env-flags.js";
import { UsageError } from "../../../src/errors.js";
import { VERSION } from "../../../src/version.js";
import { runCli, spawnCli } from "../../support/cli.js";
import { freePort, waitFor } from "../../support/wait.js";

describe("parseBooleanEnv", () => {
  const cases: [string, boolean][] = [
    ["true", true],
    ["TRUE", true],
    ["True", true],
    ["1", true],
    ["yes", true],
    ["Yes", true],
    ["on", true],
    ["ON", true],
    [" true ", true],
    ["false", false],
    ["FALSE", false],
    ["0", false],
    ["no", false],
    ["NO", false],
    ["off", false],
    ["Off", false],
    ["", false],
    ["  ", false],
  ];
  it.each(cases)("reads %j as %s", (raw, expected) => {
    expect(parseBooleanEnv("HOOKSWITCH_X", raw)).toBe(expected);
  });

  const invalid = ["maybe", "2", "-1", "tru", "y", "n", "enabled", "true1", "null"];
  it.each(invalid)("refuses %j with a usage error naming the variable and the values", (raw) => {
    let error: unknown;
    try {
      parseBooleanEnv("HOOKSWITCH_X", raw);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UsageError);
    const message = (error as Error).message;
    expect(message).toContain("HOOKSWITCH_X");
    expect(message).toContain(JSON.stringify(raw));
    expect(message).toMatch(/true, 1, yes or on/);
    expect(message).toMatch(/false, 0, no, off or empty/);
  });
});

const crmYaml = `apiVersion: hookswitch/v1
name: crm
scope:
  account: acme
trigger:
  serviceType: mycloudpbx
  events: [user.created]
webhook:
  url: https://crm.example.com/api/callbacks
  auth:
    type: token
    token: \${env:ENV_FLAGS_TEST_TOKEN}
`;
const SECRET = "tok-env-flags-3c9d1";
const BROKEN = "apiVersion: hookswitch/v1\nname: Not A Label\n";

describe("normalizeOptionEnv", () => {
  const program = new Command("p")
    .addOption(new Option("--top <x>").env("T_TOP"))
    .addCommand(new Command("sub").addOption(new Option("--deep <x>").env("T_DEEP")));

  it.each<[string | undefined, string | undefined]>([
    ["", undefined],
    ["  \t", undefined],
    [" 5s\r\n", "5s"],
    ["json\r", "json"],
    ["a b", "a b"],
    [undefined, undefined],
  ])("reads %j as %j, for a command's option and a subcommand's", (raw, read) => {
    const given = raw === undefined ? {} : { T_TOP: raw, T_DEEP: raw };
    const env: NodeJS.ProcessEnv = { ...given, OTHER: " kept " };
    normalizeOptionEnv(program, env);
    expect(env.T_TOP).toBe(read);
    expect(env.T_DEEP).toBe(read);
    expect("T_TOP" in env).toBe(read !== undefined);
    expect(env.OTHER).toBe(" kept ");
  });
});

describe("boolean flags read from environment variables", () => {
  let dir: string;
  const base = {
    ENV_FLAGS_TEST_TOKEN: SECRET,
    HOOKSWITCH_DIR: undefined,
    HOOKSWITCH_SHOW_SECRETS: undefined,
    HOOKSWITCH_RENDER_JSON: undefined,
    HOOKSWITCH_STRICT: undefined,
    HOOKSWITCH_RESOLVE_SECRETS: undefined,
  };
  const render = (args: string[], env: Record<string, string | undefined>) =>
    runCli(["render", "crm", "--event", "event.json", ...args], {
      cwd: dir,
      env: { ...base, ...env },
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "hookswitch-env-flags-"));
    await mkdir(join(dir, "integrations.d"));
    await writeFile(join(dir, "integrations.d", "crm.yaml"), crmYaml);
    await mkdir(join(dir, "broken"));
    await writeFile(join(dir, "broken", "broken.yaml"), BROKEN);
    const event = new URL("../../fixtures/events/user-created.json", import.meta.url);
    await writeFile(join(dir, "event.json"), await readFile(event, "utf8"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each(["false", "0", "no", "OFF", ""])(
    "HOOKSWITCH_SHOW_SECRETS=%j keeps render's secrets masked",
    async (value) => {
      const { code, stdout, stderr } = await render([], { HOOKSWITCH_SHOW_SECRETS: value });
      expect(stderr).toBe("");
      expect(code).toBe(0);
      expect(stdout).toContain("Authorization: Bearer ****");
      expect(stdout).not.toContain(SECRET);
    },
  );

  it("HOOKSWITCH_SHOW_SECRETS=true / yes shows render's secrets", async () => {
    for (const value of ["true", "yes"]) {
      const { code, stdout } = await render([], { HOOKSWITCH_SHOW_SECRETS: value });
      expect(code).toBe(0);
      expect(stdout).toContain(`Authorization: Bearer ${SECRET}`);
    }
  });

  it("a flag on the command line wins over the variable, even an invalid one", async () => {
    for (const value of ["false", "maybe"]) {
      const { code, stdout } = await render(["--show-secrets"], { HOOKSWITCH_SHOW_SECRETS: value });
      expect(code).toBe(0);
      expect(stdout).toContain(`Authorization: Bearer ${SECRET}`);
    }
  });

  it("HOOKSWITCH_RENDER_JSON=0 prints text, =1 prints JSON", async () => {
    const text = await render([], { HOOKSWITCH_RENDER_JSON: "0" });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^POST https:\/\/crm\.example\.com\/api\/callbacks\n/);
    const json = await render([], { HOOKSWITCH_RENDER_JSON: "1" });
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as { method: string }).method).toBe("POST");
  });

  it("an invalid value is a usage error (exit 2) naming the variable and the accepted values", async () => {
    const { code, stdout, stderr } = await render([], { HOOKSWITCH_SHOW_SECRETS: "maybe" });
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain('HOOKSWITCH_SHOW_SECRETS="maybe"');
    expect(stderr).toMatch(/true, 1, yes or on/);
    expect(stderr).toMatch(/false, 0, no, off or empty/);
    expect(stderr).not.toContain(SECRET);
  });

  it.each<[string, string[], Record<string, string>]>([
    ["--log-level verbose", ["--log-level", "verbose"], {}],
    ["LOG_LEVEL=verbose", [], { LOG_LEVEL: "verbose" }],
  ])("%s is a usage error (exit 2) listing the levels", async (_, args, env) => {
    const { code, stderr } = await runCli(["run", ...args], { env });
    expect(code).toBe(2);
    expect(stderr).toMatch(/'verbose'.*invalid.*fatal, error, warn, info, debug, trace, silent/);
  });

  it.each<[string, string[], Record<string, string>, RegExp]>([
    [
      "--http-addr 19476",
      ["--http-addr", "19476"],
      {},
      /invalid --http-addr "19476": expected host:port/,
    ],
    [
      "HOOKSWITCH_HTTP_ADDR with port 99999",
      [],
      { HOOKSWITCH_HTTP_ADDR: "0.0.0.0:99999" },
      /invalid HOOKSWITCH_HTTP_ADDR \(--http-addr\) "0.0.0.0:99999"/,
    ],
    [
      "--resync-interval 0s",
      ["--resync-interval", "0s"],
      {},
      /--resync-interval must be at least 1s, not "0s"/,
    ],
    [
      "HOOKSWITCH_ACK_WAIT=0s",
      [],
      { HOOKSWITCH_ACK_WAIT: "0s" },
      /HOOKSWITCH_ACK_WAIT \(--ack-wait\) must be at least 1s, not "0s"/,
    ],
    [
      "HOOKSWITCH_MAX_IN_FLIGHT=abc",
      [],
      { HOOKSWITCH_MAX_IN_FLIGHT: "abc" },
      /HOOKSWITCH_MAX_IN_FLIGHT \(--max-in-flight\) must be a whole number ≥ 1, not "abc"/,
    ],
    [
      "--max-in-flight 0x10",
      ["--max-in-flight", "0x10"],
      {},
      /--max-in-flight must be a whole number ≥ 1, not "0x10"/,
    ],
    [
      "--max-event-size 2MiB",
      ["--max-event-size", "2MiB"],
      {},
      /--max-event-size must be a size from 1KiB to 960KiB, like 64KiB, not "2MiB"/,
    ],
    [
      "HOOKSWITCH_MAX_EVENT_SIZE=64kb",
      [],
      { HOOKSWITCH_MAX_EVENT_SIZE: "64kb" },
      /HOOKSWITCH_MAX_EVENT_SIZE \(--max-event-size\) must be a size from 1KiB to 960KiB/,
    ],
  ])(
    "%s is a usage error (exit 2) in one line, before anything starts",
    async (_, args, env, message) => {
      const { code, stderr } = await runCli(["run", ...args], { env });
      expect(code).toBe(2);
      expect(stderr).toMatch(message);
      expect(stderr).not.toMatch(/"stack"|fatal/);
    },
  );

  it.each<[string, string[], Record<string, string>, string]>([
    [
      "emit's count",
      ["emit", "user.created"],
      { HOOKSWITCH_EMIT_COUNT: "0" },
      "HOOKSWITCH_EMIT_COUNT (--count) must be a whole number ≥ 1",
    ],
    [
      "emit's rate",
      ["emit", "user.created"],
      { HOOKSWITCH_EMIT_RATE: "-1" },
      "HOOKSWITCH_EMIT_RATE (--rate) must be a number > 0",
    ],
    [
      "emit's voicemail",
      ["emit", "user.created"],
      { HOOKSWITCH_EMIT_VOICEMAIL: "maybe" },
      'HOOKSWITCH_EMIT_VOICEMAIL (--voicemail) must be true or false, not "maybe"',
    ],
    [
      "dlq's consumer",
      ["dlq", "list"],
      { HOOKSWITCH_CONSUMER: "a.b" },
      'HOOKSWITCH_CONSUMER (--consumer) "a.b" is not a valid name',
    ],
    [
      "permissions' stream",
      ["permissions"],
      { HOOKSWITCH_STREAM: "a b" },
      'HOOKSWITCH_STREAM (--stream) "a b" is not a valid name',
    ],
    [
      "run's stream replicas",
      ["run"],
      { HOOKSWITCH_STREAM_REPLICAS: "9" },
      'HOOKSWITCH_STREAM_REPLICAS (--stream-replicas) must be a whole number from 1 to 5, not "9"',
    ],
    [
      "run's inbox prefix",
      ["run"],
      { NATS_INBOX_PREFIX: "a*" },
      'NATS_INBOX_PREFIX (--inbox-prefix) "a*" is not a subject prefix',
    ],
  ])(
    "a bad value of %s from its variable names the variable (exit 2)",
    async (_, args, env, message) => {
      const { code, stdout, stderr } = await runCli(args, {
        env: { ...env, NATS_URL: "nats://127.0.0.1:1" },
      });
      expect(code).toBe(2);
      expect(stdout).toBe("");
      expect(stderr).toContain(message);
    },
  );

  it("HOOKSWITCH_DIR set empty counts as unset: the default ./integrations.d", async () => {
    const { code, stdout, stderr } = await render([], { HOOKSWITCH_DIR: "" });
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toMatch(/^POST https:\/\/crm\.example\.com\/api\/callbacks\n/);
  });

  it("a value's surrounding spaces and CRLF line end are not part of it", async () => {
    const { code, stdout } = await runCli(["validate", "integrations.d"], {
      cwd: dir,
      env: { ...base, HOOKSWITCH_VALIDATE_FORMAT: " json\r\n" },
    });
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as { valid: boolean }).valid).toBe(true);
  });

  it("HOOKSWITCH_RESOLVE_SECRETS=false leaves validate's references unresolved, =true resolves them", async () => {
    const validate = (value: string) =>
      runCli(["validate", "integrations.d"], {
        cwd: dir,
        env: { ...base, ENV_FLAGS_TEST_TOKEN: undefined, HOOKSWITCH_RESOLVE_SECRETS: value },
      });
    expect((await validate("false")).code).toBe(0);
    const resolved = await validate("true");
    expect(resolved.code).toBe(1);
    expect(resolved.stdout).toMatch(/ENV_FLAGS_TEST_TOKEN/);
    expect((await validate("sometimes")).code).toBe(2);
  });

  it("HOOKSWITCH_STRICT=true refuses an invalid file before connecting to NATS", async () => {
    const port = await freePort();
    const { code, stderr } = await runCli(
      ["run", "--dir", "broken", "--nats", `nats://127.0.0.1:${await freePort()}`],
      {
        cwd: dir,
        env: { ...base, HOOKSWITCH_STRICT: "true", HOOKSWITCH_HTTP_ADDR: `127.0.0.1:${port}` },
      },
    );
    expect(code).toBe(1);
    expect(stderr).toMatch(/--strict/);
  });

  it("HOOKSWITCH_STRICT=false starts with an invalid file (alive, waiting for NATS)", async () => {
    const port = await freePort();
    const daemon = spawnCli(
      ["run", "--dir", "broken", "--nats", `nats://127.0.0.1:${await freePort()}`],
      {
        cwd: dir,
        env: { ...base, HOOKSWITCH_STRICT: "false", HOOKSWITCH_HTTP_ADDR: `127.0.0.1:${port}` },
      },
    );
    try {
      await waitFor(
        async () => {
          if (daemon.child.exitCode !== null) {
            throw new Error(`daemon exited (${daemon.child.exitCode}):\n${daemon.output()}`);
          }
          return fetch(`http://127.0.0.1:${port}/healthz`).then(
            (r) => r.ok,
            () => false,
          );
        },
        { timeoutMs: 10_000, what: "/healthz" },
      );
      expect(daemon.output()).not.toMatch(/--strict is set/);
      // While it waits for NATS, it has already said what it runs.
      expect(daemon.output()).toContain(`"msg":"hookswitch ${VERSION} starting"`);
    } finally {
      daemon.signal("SIGTERM");
    }
    expect(await daemon.exited).toBe(0);
  }, 30_000);
});

describe("log levels in any letter case", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "hookswitch-log-level-"));
    await mkdir(join(dir, "integrations.d"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** `run` waiting for a NATS that is not there: its log until it has warned about that. */
  async function logOfRun(args: string[], env: Record<string, string>) {
    const port = await freePort();
    const nats = `nats://127.0.0.1:${await freePort()}`;
    const daemon = spawnCli(["run", "--nats", nats, ...args], {
      cwd: dir,
      env: { HOOKSWITCH_DIR: undefined, HOOKSWITCH_HTTP_ADDR: `127.0.0.1:${port}`, ...env },
    });
    try {
      await waitFor(
        () => {
          if (daemon.child.exitCode !== null) {
            throw new Error(`daemon exited (${daemon.child.exitCode}):\n${daemon.output()}`);
          }
          return daemon.output().includes('"level":"warn"');
        },
        { timeoutMs: 10_000, what: "the warning that NATS is not reachable" },
      );
    } finally {
      daemon.signal("SIGTERM");
    }
    expect(await daemon.exited).toBe(0);
    return daemon.output();
  }

  it.each<[string, string[], Record<string, string>, boolean]>([
    ["LOG_LEVEL=WARN", [], { LOG_LEVEL: "WARN" }, false],
    ["LOG_LEVEL=Info", [], { LOG_LEVEL: "Info" }, true],
    ["--log-level WARN", ["--log-level", "WARN"], { LOG_LEVEL: "info" }, false],
  ])(
    "%s is read as the level in lower case",
    async (_, args, env, infoShown) => {
      const output = await logOfRun(args, env);
      expect(output.includes(`"msg":"hookswitch ${VERSION} starting"`)).toBe(infoShown);
      expect(output).not.toContain("Allowed choices");
    },
    30_000,
  );

  it("HOOKSWITCH_LOG_FORMAT=JSON is read as json", async () => {
    const output = await logOfRun([], { LOG_LEVEL: "info", HOOKSWITCH_LOG_FORMAT: "JSON" });
    expect(output).toContain(`"msg":"hookswitch ${VERSION} starting"`);
  }, 30_000);

  it("LOG_LEVEL=VERBOSE is a usage error (exit 2) quoting it as given and listing the levels", async () => {
    const { code, stderr } = await runCli(["run"], { env: { LOG_LEVEL: "VERBOSE" } });
    expect(code).toBe(2);
    expect(stderr).toMatch(/'VERBOSE'.*invalid.*fatal, error, warn, info, debug, trace, silent/);
  });
});
