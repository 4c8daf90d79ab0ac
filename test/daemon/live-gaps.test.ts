import { copyFileSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { integrationYaml } from "../support/config-dir.js";
import { makeEvent, startTracked, tempDir, deliveredEvents } from "../support/daemon.js";
import { useRealParts } from "../support/real-parts.js";
import { sleep, waitFor } from "../support/wait.js";

interface Status {
  generation: number;
  integrations: { name: string; file: string }[];
  invalidFiles: { file: string; problems: { message: string }[] }[];
}

describe("hookswitch run while an integration's file is briefly missing or replaced", () => {
  const parts = useRealParts();

  /** A daemon on a fresh folder holding `files` (name -> YAML). */
  async function daemonOn(files: Record<string, string>) {
    const dir = tempDir();
    parts.cleanups.push(() => dir.cleanup());
    for (const [name, yaml] of Object.entries(files)) writeFileSync(join(dir.path, name), yaml);
    const daemon = await startTracked(parts.daemons, { natsUrl: parts.nats.url, dir: dir.path });
    const status = async () =>
      (await (await fetch(`${daemon.http}/api/integrations`)).json()) as Status;
    return { dir: dir.path, daemon, status };
  }

  const hook = (name: string) =>
    integrationYaml(name, { webhook: { url: `${parts.receiver.url}/${name}` } });

  /** Ids of the events the receiver got on `path`. */
  const receivedOn = (path: string) =>
    deliveredEvents({ requests: parts.receiver.requests.filter((r) => r.url === path) });

  it("delivers every event to an integration whose file is moved away and copied back", async () => {
    const { dir, daemon } = await daemonOn({ "gapx.yaml": hook("gapx") });
    const file = join(dir, "gapx.yaml");
    const ids: string[] = [];
    const publishFor = async (ms: number) => {
      for (const until = Date.now() + ms; Date.now() < until; await sleep(20)) {
        const event = makeEvent();
        ids.push(event.id);
        await parts.publisher.publish(event);
      }
    };
    renameSync(file, `${file}~`);
    await publishFor(400);
    copyFileSync(`${file}~`, file);
    await publishFor(400);
    await waitFor(() => receivedOn("/gapx").size >= ids.length, {
      timeoutMs: 10_000,
      what: `all ${ids.length} events on /gapx`,
    }).catch(() => undefined);
    expect(ids.filter((id) => !receivedOn("/gapx").has(id))).toEqual([]);
    expect(daemon.output()).not.toMatch(/removed \(gapx\)/);
    expect(await daemon.stop()).toBe(0);
  }, 60_000);

  it("keeps an integration renamed and broken in one change, held by the new file's problems", async () => {
    const { dir, daemon, status } = await daemonOn({ "gapy.yaml": hook("gapy") });
    const moved = join(dir, "sub", "gapy-moved.yaml");
    mkdirSync(join(dir, "sub"));
    writeFileSync(moved, hook("gapy").replace("  url:", "  urll:"));
    rmSync(join(dir, "gapy.yaml"));
    const now = await waitFor(
      async () => {
        const s = await status();
        return s.generation >= 2 ? s : undefined;
      },
      { timeoutMs: 5_000, what: "generation 2" },
    );
    expect(now.integrations.map(({ name, file }) => ({ name, file }))).toEqual([
      { name: "gapy", file: moved },
    ]);
    expect(now.invalidFiles.map((f) => f.file)).toEqual([moved]);
    const event = makeEvent();
    await parts.publisher.publish(event);
    await waitFor(() => receivedOn("/gapy").has(event.id), { what: "the event on /gapy" });
    expect(daemon.output()).not.toMatch(/removed \(gapy\)/);
    expect(await daemon.stop()).toBe(0);
  }, 60_000);
});
