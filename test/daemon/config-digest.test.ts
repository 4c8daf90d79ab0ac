/**
 * The configuration digest as on-call meets it: a daemon on a git-sync checkout says the
 * same digest in its log, /api/integrations and /metrics, names the worktree it reads, and
 * agrees with `hookswitch validate` on the same folder.
 */
import { realpathSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { gitSyncLayout, integrationYaml } from "../support/config-dir.js";
import { runCli } from "../support/cli.js";
import { startTracked, type RunningDaemon } from "../support/daemon.js";
import { useRealParts } from "../support/real-parts.js";
import { waitFor } from "../support/wait.js";

interface Status {
  generation: number;
  configDigest: string | null;
  configFolder: string;
  lastReloadSuccessful: boolean;
}

type LogLine = { msg: string } & Record<string, unknown>;

const HEX12 = /^[0-9a-f]{12}$/;

const status = async (d: RunningDaemon): Promise<Status> =>
  (await (await fetch(`${d.http}/api/integrations`)).json()) as Status;

/** The hookswitch_config_info series: there must be one at a time. */
const infoSeries = async (d: RunningDaemon): Promise<string[]> =>
  (await (await fetch(`${d.http}/metrics`)).text())
    .split("\n")
    .filter((l) => l.startsWith("hookswitch_config_info"));

const logLines = (d: RunningDaemon): LogLine[] =>
  d
    .output()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as LogLine);

const generationLine = (d: RunningDaemon, n: number) =>
  logLines(d).find((l) => l.msg.startsWith(`config generation ${n}:`));

/** What `validate` says of a folder: the summary line's digest and the JSON report's. */
async function validated(dir: string): Promise<{ text?: string; json: string | null }> {
  const text = await runCli(["validate", dir]);
  const json = await runCli(["validate", "--format", "json", dir]);
  return {
    text: /; config digest ([0-9a-f]{12})\n$/.exec(text.stdout)?.[1],
    json: (JSON.parse(json.stdout) as { configDigest: string | null }).configDigest,
  };
}

describe("hookswitch run's configuration digest", () => {
  const parts = useRealParts();

  it("is the same in the log, /api/integrations, /metrics and validate, follows changes and rewrites, and stays when a file breaks", async () => {
    const hook = (name: string, path = name) =>
      integrationYaml(name, { webhook: { url: `${parts.receiver.url}/${path}` } });
    const files = { "crm.yaml": hook("crm"), "team/billing.yaml": hook("billing") };
    const layout = gitSyncLayout(files);
    parts.cleanups.push(() => layout.cleanup());
    const daemon = await startTracked(parts.daemons, {
      natsUrl: parts.nats.url,
      dir: layout.dir,
    });

    // Generation 1: every place says the same digest, and the worktree read.
    const first = await status(daemon);
    const firstFolder = realpathSync(layout.dir);
    expect(first).toMatchObject({ generation: 1, configFolder: firstFolder });
    expect(first.configDigest).toMatch(HEX12);
    const digest1 = first.configDigest!;
    expect(await infoSeries(daemon)).toEqual([`hookswitch_config_info{digest="${digest1}"} 1`]);
    expect(generationLine(daemon, 1)).toMatchObject({ digest: digest1, folder: firstFolder });
    const running = await waitFor(() => logLines(daemon).find((l) => / is running: /.test(l.msg)));
    expect(running).toMatchObject({ digest: digest1, folder: firstFolder, generation: 1 });
    expect(running.msg).toContain(`digest ${digest1}`);
    expect(await validated(layout.dir)).toEqual({ text: digest1, json: digest1 });

    // A new commit changes a file: a new digest, one series, the new worktree named.
    const hash = layout.commit({ ...files, "team/billing.yaml": hook("billing", "billing-v2") });
    await waitFor(async () => (await status(daemon)).generation === 2, { what: "generation 2" });
    const second = await status(daemon);
    const secondFolder = realpathSync(layout.dir);
    expect(secondFolder).toContain(hash);
    expect(second.configFolder).toBe(secondFolder);
    const digest2 = second.configDigest!;
    expect(digest2).toMatch(HEX12);
    expect(digest2).not.toBe(digest1);
    expect(await infoSeries(daemon)).toEqual([`hookswitch_config_info{digest="${digest2}"} 1`]);
    expect(generationLine(daemon, 2)).toMatchObject({ digest: digest2, folder: secondFolder });
    expect(await validated(layout.dir)).toEqual({ text: digest2, json: digest2 });

    // A comment added: nothing in force changes, so no generation, but the bytes (and what
    // validate says of the commit) do: the digest follows them.
    const commented = {
      ...files,
      "team/billing.yaml": `# reviewed\n${hook("billing", "billing-v2")}`,
    };
    layout.commit(commented);
    const rewritten = await waitFor(
      async () => {
        const now = await status(daemon);
        return now.configDigest !== digest2 ? now : undefined;
      },
      { what: "the digest of the rewritten file" },
    );
    const digest3 = rewritten.configDigest!;
    expect(rewritten.generation).toBe(2);
    expect(await infoSeries(daemon)).toEqual([`hookswitch_config_info{digest="${digest3}"} 1`]);
    expect(await validated(layout.dir)).toEqual({ text: digest3, json: digest3 });

    // A commit that breaks the file: its last valid version keeps running, and the digest.
    layout.commit({ ...commented, "team/billing.yaml": "name: [" });
    await waitFor(async () => (await status(daemon)).generation === 3, { what: "generation 3" });
    const third = await status(daemon);
    expect(third).toMatchObject({ lastReloadSuccessful: false, configDigest: digest3 });
    expect(await infoSeries(daemon)).toEqual([`hookswitch_config_info{digest="${digest3}"} 1`]);
    expect(generationLine(daemon, 3)).toMatchObject({ digest: digest3 });

    expect(await daemon.stop()).toBe(0);
  }, 60_000);
});
