import { Command, Option } from "commander";
import { describe, expect, it } from "vitest";
import { anyCaseChoices } from "../../../src/commands/options/any-case.js";
import { addNatsOptions } from "../../../src/commands/options/nats-options.js";

/** Parses `args` for a command with `--deliver`, as `run` and `dlq` have it. */
function parsed(args: string[]): { value?: unknown; error?: string } {
  const cmd = new Command("probe")
    .exitOverride()
    .configureOutput({ writeErr: () => undefined })
    .action(() => undefined);
  cmd.addOption(anyCaseChoices(new Option("--mode <mode>", "a mode"), ["new", "all"]));
  try {
    cmd.parse(args, { from: "user" });
    return { value: cmd.opts().mode };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

describe("anyCaseChoices takes a choice in any letter case, passed on in lower case", () => {
  it.each<[string[], { value?: unknown; error?: RegExp }]>([
    [["--mode", "all"], { value: "all" }],
    [["--mode", "ALL"], { value: "all" }],
    [["--mode", "New"], { value: "new" }],
    [["--mode", "Al"], { error: /argument 'Al' is invalid. Allowed choices are new, all/ }],
    [["--mode", "ÄLL"], { error: /Allowed choices are new, all/ }],
  ])("%j", (args, expected) => {
    const result = parsed(args);
    if (expected.error) expect(result.error).toMatch(expected.error);
    else expect(result).toEqual({ value: expected.value });
  });

  it("is how --deliver reads HOOKSWITCH_DELIVER=ALL", () => {
    const cmd = addNatsOptions(
      new Command("probe").exitOverride().action(() => undefined),
      {
        jetstream: true,
      },
    );
    const before = process.env.HOOKSWITCH_DELIVER;
    process.env.HOOKSWITCH_DELIVER = "ALL";
    try {
      cmd.parse([], { from: "user" });
    } finally {
      if (before === undefined) delete process.env.HOOKSWITCH_DELIVER;
      else process.env.HOOKSWITCH_DELIVER = before;
    }
    expect(cmd.opts().deliver).toBe("all");
  });
});
