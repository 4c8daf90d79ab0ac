import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { integrationYaml } from "../support/config-dir.js";
import { useRealParts } from "../support/real-parts.js";
import { makeEvent, startTracked, tempDir } from "../support/daemon.js";
import { waitFor } from "../support/wait.js";

interface Status {
  generation: number;
  lastReloadSuccessful: boolean;
  integrations: { name: string }[];
  invalidFiles: { file: string; problems: { message: string }[] }[];
}

describe("an integrations folder that disappears while the daemon runs", () => {
  const parts = useRealParts();

  it("keeps its integrations running and says so on the status page and the reload gauge until it is back", async () => {
    const root = tempDir();
    parts.cleanups.push(() => root.cleanup());
    const dir = join(root.path, "integrations.d");
    const writeCrm = () => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, "crm.yaml"),
        integrationYaml("crm", { webhook: { url: `${parts.receiver.url}/crm` } }),
      );
    };
    writeCrm();
    const daemon = await startTracked(parts.daemons, { natsUrl: parts.nats.url, dir });
    const status = async () =>
      (await (await fetch(`${daemon.http}/api/integrations`)).json()) as Status;
    const reloadGauge = async () =>
      /^hookswitch_config_last_reload_successful (\d)$/m.exec(
        await (await fetch(`${daemon.http}/metrics`)).text(),
      )?.[1];

    rmSync(dir, { recursive: true });
    const gone = await waitFor(
      async () => {
        const now = await status();
        return now.lastReloadSuccessful ? undefined : now;
      },
      { timeoutMs: 5_000, what: "the folder reported missing" },
    );
    expect(gone.generation).toBe(1);
    expect(gone.integrations.map((i) => i.name)).toEqual(["crm"]);
    expect(gone.invalidFiles.map((f) => f.file)).toEqual([dir]);
    expect(gone.invalidFiles[0]?.problems.map((p) => p.message)).toEqual([
      "the integrations folder is gone (no such file or folder): configuration generation 1 keeps running until it is back",
    ]);
    expect(await reloadGauge()).toBe("0");
    const event = makeEvent();
    await parts.publisher.publish(event);
    await waitFor(() => parts.receiver.requests.some((r) => r.body.includes(event.id)), {
      what: "the kept integration's delivery",
    });

    writeCrm();
    await waitFor(async () => (await status()).lastReloadSuccessful, {
      timeoutMs: 5_000,
      what: "the folder back",
    });
    expect((await status()).invalidFiles).toEqual([]);
    expect(await reloadGauge()).toBe("1");
    expect(daemon.output()).toContain(`${dir}: the integrations folder is back`);
    expect(await daemon.stop()).toBe(0);
  }, 60_000);
});
