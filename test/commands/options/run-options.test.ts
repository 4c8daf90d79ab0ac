import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { runCommand } from "../../../src/commands/run.js";
import { applyBooleanEnv, optionNamer } from "../../../src/commands/options/env-flags.js";
import { toSettings, type RunFlags } from "../../../src/commands/options/run-options.js";
import { UsageError } from "../../../src/errors.js";
import { withOnlyEnv } from "../../support/env.js";

/**
 * `run`'s settings from argv, through the real command, with no NATS_ or HOOKSWITCH_ variable
 * but those of `env`.
 */
function settingsOf(argv: string[], env: Record<string, string> = {}) {
  return withOnlyEnv(env, () => {
    const run = runCommand()
      .exitOverride()
      .configureOutput({ writeErr: () => undefined });
    let flags: RunFlags | undefined;
    // The daemon is not started: the action only keeps what commander parsed.
    run.hook("preAction", applyBooleanEnv).action((parsed: RunFlags) => void (flags = parsed));
    new Command("hookswitch").addCommand(run).parse(["run", ...argv], { from: "user" });
    if (!flags) throw new Error("run's action did not run");
    return { settings: toSettings(flags, optionNamer(run)), flags };
  });
}

describe("run's own defaults", () => {
  it("reads ./integrations.d, listens on 127.0.0.1:9464 and rescans the folder every 60 s", () => {
    const { settings } = settingsOf([]);
    expect(settings).toMatchObject({
      dir: "./integrations.d",
      httpAddr: "127.0.0.1:9464",
      resyncIntervalMs: 60_000,
      strict: false,
      maxInFlight: 256,
      graceMs: 20_000,
      ackWaitMs: 30_000,
      maxEventBytes: 64 * 1024,
      requireSubjectMatch: false,
      egress: { deny: [], allow: [] },
    });
  });

  it("logs JSON at info by default", () => {
    expect(settingsOf([]).flags).toMatchObject({ logLevel: "info", logFormat: "json" });
  });

  it("takes each of them from its flag", () => {
    const { settings } = settingsOf([
      "--dir",
      "/etc/hookswitch",
      "--http-addr",
      "0.0.0.0:9000",
      "--resync-interval",
      "5m",
    ]);
    expect(settings).toMatchObject({
      dir: "/etc/hookswitch",
      httpAddr: "0.0.0.0:9000",
      resyncIntervalMs: 300_000,
    });
  });
});

describe("run's settings at the edges of what they accept", () => {
  it.each<[string[], Record<string, unknown>]>([
    [["--grace-period", "0s"], { graceMs: 0 }],
    [["--ack-wait", "1s"], { ackWaitMs: 1_000 }],
    [["--resync-interval", "1s"], { resyncIntervalMs: 1_000 }],
    [["--max-event-size", "1KiB"], { maxEventBytes: 1024 }],
    [["--max-event-size", "960KiB"], { maxEventBytes: 960 * 1024 }],
    [["--http-addr", "[::1]:0"], { httpAddr: "[::1]:0" }],
    [["--strict", "--require-subject-match"], { strict: true, requireSubjectMatch: true }],
  ])("takes %j", (argv, expected) => {
    expect(settingsOf(argv).settings).toMatchObject(expected);
  });

  it("keeps the denied and the allowed networks apart", () => {
    const { settings } = settingsOf(["--deny-cidr", "10.0.0.0/8", "--allow-cidr", "10.1.0.0/16"]);
    expect(settings.egress.deny.map((c) => c.text)).toEqual(["10.0.0.0/8"]);
    expect(settings.egress.allow.map((c) => c.text)).toEqual(["10.1.0.0/16"]);
  });

  it.each([
    ["DEBUG", "debug"],
    ["Warn", "warn"],
  ])("takes the log level %j in any letter case, as %j", (given, level) => {
    expect(settingsOf(["--log-level", given]).flags.logLevel).toBe(level);
  });
});

describe("run's settings refused with a usage error", () => {
  it.each<[string[], RegExp]>([
    [
      ["--grace-period", "soon"],
      /^--grace-period "soon" is not a duration like 250ms, 10s, 5m or 1h$/,
    ],
    [["--ack-wait", "999ms"], /^--ack-wait must be at least 1s, not "999ms"$/],
    [["--resync-interval", "999ms"], /^--resync-interval must be at least 1s, not "999ms"$/],
    [
      ["--max-event-size", "1023"],
      /^--max-event-size must be a size from 1KiB to 960KiB, like 64KiB, not "1023"$/,
    ],
    [["--max-event-size", "961KiB"], /^--max-event-size must be a size from 1KiB to 960KiB/],
    [["--max-event-size", "lots"], /^--max-event-size must be a size from 1KiB to 960KiB/],
    [
      ["--http-addr", "nowhere"],
      /^invalid --http-addr "nowhere": expected host:port, e.g. 0.0.0.0:9464$/,
    ],
    [["--deny-cidr", "10.0.0.0/33"], /^--deny-cidr: "10.0.0.0\/33" has a bad prefix length/],
    [["--allow-cidr", "intranet"], /^--allow-cidr: "intranet" is not a CIDR/],
  ])("refuses %j", (argv, message) => {
    expect(() => settingsOf(argv)).toThrow(UsageError);
    expect(() => settingsOf(argv)).toThrow(message);
  });

  it("refuses a log level that is none of the choices", () => {
    expect(() => settingsOf(["--log-level", "verbose"])).toThrow(
      /argument 'verbose' is invalid\. Allowed choices are fatal, error, warn, info, debug, trace, silent/,
    );
  });
});

describe("run's settings from the environment", () => {
  it("takes each flag from its variable", () => {
    const { settings, flags } = settingsOf([], {
      HOOKSWITCH_DIR: "/etc/hookswitch",
      HOOKSWITCH_ACK_WAIT: "2m",
      HOOKSWITCH_DENY_CIDRS: "192.0.2.0/24",
      HOOKSWITCH_LOG_FORMAT: "PRETTY",
      HOOKSWITCH_SECRETS_DIRS: "/run/secrets",
      HOOKSWITCH_SECRET_ENV_PREFIX: "HS_",
    });
    expect(settings).toMatchObject({
      dir: "/etc/hookswitch",
      ackWaitMs: 120_000,
      secretPolicy: { dirs: ["/run/secrets"], envPrefix: "HS_" },
    });
    expect(settings.egress.deny.map((c) => c.text)).toEqual(["192.0.2.0/24"]);
    expect(flags.logFormat).toBe("pretty");
  });

  it.each<[Record<string, string>, RegExp]>([
    [
      { HOOKSWITCH_DENY_CIDRS: "bad" },
      /^HOOKSWITCH_DENY_CIDRS \(--deny-cidr\): "bad" is not a CIDR/,
    ],
    [{ HOOKSWITCH_ALLOW_CIDRS: "bad" }, /^HOOKSWITCH_ALLOW_CIDRS \(--allow-cidr\): "bad"/],
    [
      { HOOKSWITCH_GRACE_PERIOD: "x" },
      /^HOOKSWITCH_GRACE_PERIOD \(--grace-period\) "x" is not a duration/,
    ],
    [{ HOOKSWITCH_HTTP_ADDR: "x" }, /^invalid HOOKSWITCH_HTTP_ADDR \(--http-addr\) "x"/],
  ])("names the variable of a value refused from %j", (env, message) => {
    expect(() => settingsOf([], env)).toThrow(message);
  });
});

describe("toSettings without the JetStream flags", () => {
  it("fails as a programming error, not a usage error", () => {
    const { flags } = settingsOf([]);
    const withoutStream = { ...flags, stream: undefined };
    let error: unknown;
    try {
      withOnlyEnv({}, () => toSettings(withoutStream, (flag) => flag));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe("internal: run needs the JetStream flags");
  });
});
