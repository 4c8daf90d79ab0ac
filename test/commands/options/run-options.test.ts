import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { runCommand } from "../../../src/commands/run.js";
import { applyBooleanEnv, optionNamer } from "../../../src/commands/options/env-flags.js";
import { toSettings, type RunFlags } from "../../../src/commands/options/run-options.js";
import { withOnlyEnv } from "../../support/env.js";

/** `run`'s settings from argv, through the real command, with no NATS_ or HOOKSWITCH_ variable. */
function settingsOf(argv: string[]) {
  return withOnlyEnv({}, () => {
    const run = runCommand().exitOverride();
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
