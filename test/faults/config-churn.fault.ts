import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { integrationYaml } from "../support/config-dir.js";
import { printReport, sampleProcesses } from "../support/ledger.js";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { startReceiver, type Receiver } from "../support/receiver.js";
import { tempDir, type RunningDaemon } from "../support/daemon.js";
import { sleep, waitFor } from "../support/wait.js";
import { DaemonPool, settle, steadyPublisher } from "./scenario.js";

const CHURN_MS = 30_000;
/** An attempt already on the wire when a change is applied may still land just after it. */
const IN_FLIGHT_SLACK_MS = 500;
const STABLE = ["stable-1", "stable-2"];

interface OffWindow {
  integration: string;
  from: number;
  until: number;
}

type View = { generation: number; integrations: { name: string; enabled: boolean }[] };

async function view(daemon: RunningDaemon): Promise<View> {
  return (await (await fetch(`${daemon.http}/api/integrations`)).json()) as View;
}

describe("a config folder changing continuously under load", () => {
  let nats: NatsServer;
  let receiver: Receiver;
  let root: ReturnType<typeof tempDir>;
  let dir: string;
  const pool = new DaemonPool();
  const yamlFor = (name: string, extra: Record<string, unknown> = {}) =>
    integrationYaml(name, { webhook: { url: `${receiver.url}/${name}` }, ...extra });

  beforeAll(async () => {
    nats = await startNatsServer();
    receiver = await startReceiver();
    root = tempDir();
    dir = path.join(root.path, "integrations.d");
    const targets = path.join(root.path, "targets");
    fs.mkdirSync(dir);
    fs.mkdirSync(targets);
    for (const name of [...STABLE, "churn-a", "churn-b"]) {
      fs.writeFileSync(path.join(dir, `${name}.yaml`), yamlFor(name));
    }
    fs.writeFileSync(path.join(targets, "on.yaml"), yamlFor("linked"));
    fs.writeFileSync(path.join(targets, "off.yaml"), yamlFor("linked", { enabled: false }));
    fs.symlinkSync(path.join(targets, "on.yaml"), path.join(dir, "linked.yaml"));
  });
  afterAll(async () => {
    await pool.killAll();
    await receiver.close();
    await nats.dispose();
    root.cleanup();
  });

  it("never crashes, never delivers to a disabled or deleted integration, loses nothing", async () => {
    const daemon = await pool.start({ natsUrl: nats.url, dir });
    const sampler = sampleProcesses(() => pool.pids());
    const load = await steadyPublisher(nats.url, 25, STABLE);
    const offWindows: OffWindow[] = [];
    const open = new Map<string, number>();
    const applyLatencies: number[] = [];
    let generations = 0;

    const applied = async (check: (v: View) => boolean, writtenAt: number) => {
      const seen = await waitFor(
        async () => {
          const v = await view(daemon);
          return check(v) ? v : undefined;
        },
        { timeoutMs: 10_000, intervalMs: 25, what: "the change to be applied" },
      );
      generations = seen.generation;
      const now = Date.now();
      applyLatencies.push(now - writtenAt);
      return now;
    };
    const isOff = (name: string) => (v: View) =>
      !v.integrations.some((i) => i.name === name && i.enabled);
    const isOn = (name: string) => (v: View) =>
      v.integrations.some((i) => i.name === name && i.enabled);
    const turnOff = async (name: string, write: () => void) => {
      const writtenAt = Date.now();
      write();
      open.set(name, await applied(isOff(name), writtenAt));
    };
    const turnOn = async (name: string, write: () => void) => {
      const writtenAt = Date.now();
      write();
      const from = open.get(name);
      if (from !== undefined) offWindows.push({ integration: name, from, until: writtenAt });
      open.delete(name);
      await applied(isOn(name), writtenAt);
    };
    const file = (name: string) => path.join(dir, `${name}.yaml`);
    const swapLink = (target: string) => {
      const temp = path.join(dir, ".linked.tmp");
      fs.symlinkSync(path.join(root.path, "targets", target), temp);
      fs.renameSync(temp, file("linked"));
    };

    const edit = (write: () => void) => () => Promise.resolve(write());
    const steps: (() => Promise<void>)[] = [
      edit(() => fs.writeFileSync(file("churn-a"), yamlFor("churn-a", { description: "edit" }))),
      edit(() => fs.writeFileSync(file("churn-a"), "name: [unclosed\n  - : :\n")), // broken
      edit(() => fs.writeFileSync(file("churn-a"), yamlFor("churn-a"))), // fixed
      () =>
        turnOff("churn-a", () =>
          fs.writeFileSync(file("churn-a"), yamlFor("churn-a", { enabled: false })),
        ),
      edit(() => fs.writeFileSync(file("churn-a"), "\u0000\u00ff garbage")), // broken while off
      () => turnOn("churn-a", () => fs.writeFileSync(file("churn-a"), yamlFor("churn-a"))),
      () => turnOff("churn-b", () => fs.rmSync(file("churn-b"))),
      () => turnOn("churn-b", () => fs.writeFileSync(file("churn-b"), yamlFor("churn-b"))),
      () => turnOff("linked", () => swapLink("off.yaml")),
      () => turnOn("linked", () => swapLink("on.yaml")),
    ];
    const until = Date.now() + CHURN_MS;
    let changes = 0;
    while (Date.now() < until) {
      await steps[changes % steps.length]!();
      changes++;
      expect(daemon.child.exitCode, "the daemon must survive every change").toBeNull();
      await sleep(150);
    }
    await load.stop();
    // Close windows still open at the end: nothing may arrive for them until the test ends.
    for (const [integration, from] of open) offWindows.push({ integration, from, until: Infinity });

    const report = await settle(
      () => load.published,
      () => receiver.requests.filter((r) => STABLE.some((s) => r.url.startsWith(`/${s}`))),
      { timeoutMs: 60_000, maxRssMb: () => sampler.maxRssMb() },
    );
    sampler.stop();
    const violations = receiver.requests.filter((r) =>
      offWindows.some(
        (w) =>
          r.url.startsWith(`/${w.integration}`) &&
          r.at > w.from + IN_FLIGHT_SLACK_MS &&
          r.at < w.until,
      ),
    );
    const sortedLatency = [...applyLatencies].sort((a, b) => a - b);
    printReport(
      "config churn 30 s",
      report,
      `changes=${changes} generations=${generations} offWindows=${offWindows.length} ` +
        `violations=${violations.length} applyMaxMs=${sortedLatency.at(-1) ?? 0}`,
    );
    expect(daemon.child.exitCode).toBeNull();
    expect(
      violations.map((v) => `${v.url} at ${v.at}`),
      "deliveries to a disabled or deleted integration after the change was applied",
    ).toEqual([]);
    expect(report.lost, `lost e.g. ${report.lostSample.join(", ")}`).toBe(0);
    expect(sortedLatency.at(-1) ?? 0).toBeLessThan(5_000);
  }, 180_000);
});
