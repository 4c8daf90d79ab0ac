import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO, runCli } from "../support/cli.js";

/** Without the deployment's variables a shell or CI job may have set. */
const CLEAN = {
  HOOKSWITCH_STREAM: undefined,
  HOOKSWITCH_SUBJECTS: undefined,
  HOOKSWITCH_CONSUMER: undefined,
  HOOKSWITCH_NO_CREATE_STREAM: undefined,
  NATS_INBOX_PREFIX: undefined,
};
const permissions = (args: string[] = [], env: Record<string, string> = {}) =>
  runCli(["permissions", ...args], { env: { ...CLEAN, ...env } });

/** The quoted subjects of the configuration, in order. */
const subjects = (conf: string) => [...conf.matchAll(/^\s+"([^"]+)"$/gm)].map((m) => m[1]);

describe("hookswitch permissions", () => {
  it("prints for the defaults exactly deploy/nats/permissions.conf, which the tests run under", async () => {
    const result = await permissions();
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(readFileSync(join(REPO, "deploy/nats/permissions.conf"), "utf8"));
  });

  it("names the deployment's stream, subjects and consumer everywhere, and none of the defaults", async () => {
    const { stdout } = await permissions([
      "--stream",
      "EV",
      "--subjects",
      "ev.a.>,ev.b.>",
      "--consumer",
      "blue",
    ]);
    const all = subjects(stdout);
    expect(
      all.filter((s) =>
        /PBX_EVENTS|pbx\.|hookswitch\.(deliveries|parked|dlq)\.hookswitch/.test(s!),
      ),
    ).toEqual([]);
    expect(all).toEqual(
      expect.arrayContaining([
        "$JS.API.CONSUMER.CREATE.EV.blue.>",
        "$JS.API.CONSUMER.CREATE.EV.blue_bookmark",
        "$JS.ACK.EV.blue.>",
        "$JS.API.CONSUMER.CREATE.HOOKSWITCH_DELIVERIES.blue-deliveries.hookswitch.deliveries.blue.>",
        "$JS.API.CONSUMER.CREATE.HOOKSWITCH_DELIVERIES.*.hookswitch.parked.blue.*",
        "hookswitch.dlq.blue.>",
        "_INBOX_blue.>",
        "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.EV.blue",
      ]),
    );
    // The publisher and dlq's replays publish to every subject of the events.
    expect(all.filter((s) => s!.startsWith("ev."))).toEqual([
      "ev.a.>",
      "ev.b.>",
      "ev.a.>",
      "ev.b.>",
    ]);
  });

  it("reads the daemon's variables, so that in its environment it prints its own", async () => {
    const { stdout } = await permissions([], {
      HOOKSWITCH_CONSUMER: "green",
      NATS_INBOX_PREFIX: "replies.green",
      HOOKSWITCH_NO_CREATE_STREAM: "true",
    });
    const all = subjects(stdout);
    expect(all).toContain("replies.green.>");
    expect(all).toContain("$JS.API.STREAM.INFO.PBX_EVENTS");
    // --no-create-stream: the event stream is never created or changed.
    expect(all).not.toContain("$JS.API.STREAM.CREATE.PBX_EVENTS");
    expect(all).not.toContain("$JS.API.STREAM.UPDATE.PBX_EVENTS");
  });

  it.each([
    [["--inbox-prefix", "a.*"], /--inbox-prefix "a\.\*" is not a subject prefix/],
    [["--consumer", "a.b"], /--consumer "a\.b" is not a valid name/],
  ])("refuses %j as a usage error", async (args, message) => {
    const result = await permissions(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});
