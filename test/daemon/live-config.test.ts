import { mkdirSync, writeFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { startReceiver, type Receiver } from "../support/receiver.js";
import { configMapLayout, gitSyncLayout, integrationYaml } from "../support/config-dir.js";
import {
  connectPublisher,
  makeEvent,
  startDaemon,
  stopThenCleanUp,
  tempDir,
  type Publisher,
  type RunningDaemon,
  deliveredEvents,
} from "../support/daemon.js";
import { sleep, waitFor } from "../support/wait.js";

/** A webhook whose failed attempts are tried again every 2 s. */
const retriedEvery2s = (url: string) => ({
  url,
  retry: { maxAttempts: 10, initialDelay: "2s", maxDelay: "2s" },
});

/** The waiting retry reaches the receiver, and no delivery was skipped on the way. */
async function expectRetrySent(receiver: Receiver, daemon: RunningDaemon, what: string) {
  await waitFor(() => receiver.requests.length >= 2, { timeoutMs: 25_000, what });
  const metrics = await (await fetch(`${daemon.http}/metrics`)).text();
  expect(metrics).not.toMatch(/outcome="skipped"/);
}

interface Status {
  generation: number;
  lastReloadSuccessful: boolean;
  integrations: { name: string; enabled: boolean; fileInvalid: boolean }[];
  invalidFiles: {
    file: string;
    problems: { line: number; message: string }[];
    notRunning: string[];
  }[];
}

describe("hookswitch run applies configuration changes live", () => {
  let nats: NatsServer;
  let receiver: Receiver;
  let publisher: Publisher;
  let daemon: RunningDaemon | undefined;
  const cleanups: (() => void)[] = [];

  const hook = (name: string, path = name, overrides: Record<string, unknown> = {}) =>
    integrationYaml(name, { webhook: { url: `${receiver.url}/${path}` }, ...overrides });
  const status = async (): Promise<Status> =>
    (await (await fetch(`${daemon!.http}/api/integrations`)).json()) as Status;
  /** Publishes an event and returns the paths that received it. */
  const deliveredPaths = async (settleMs = 700): Promise<string[]> => {
    const event = makeEvent();
    await publisher.publish(event);
    await sleep(settleMs);
    return receiver.requests
      .filter((r) => (JSON.parse(r.body || "{}") as { eventId?: string }).eventId === event.id)
      .map((r) => r.url)
      .sort();
  };
  /** The warning of the files a start left out, as logged; {} when there is none. */
  const leftOutWarning = (): unknown => {
    const lines = daemon!.output().split("\n");
    return JSON.parse(
      lines.find((l) => l.includes("at start, with no last valid version")) ?? "{}",
    );
  };
  const waitGeneration = (n: number) =>
    waitFor(async () => (await status()).generation >= n, {
      timeoutMs: 5_000,
      what: `generation ${n}`,
    });

  beforeAll(async () => {
    nats = await startNatsServer();
    receiver = await startReceiver();
    publisher = await connectPublisher(nats.url);
  });
  afterAll(async () => {
    await publisher.close();
    await receiver.close();
    await nats.dispose();
  });
  beforeEach(() => {
    receiver.requests.length = 0;
  });
  afterEach(async () => {
    const running = daemon;
    daemon = undefined;
    await stopThenCleanUp(running, ...cleanups.splice(0));
  });

  it("adds, enables, changes, keeps the last valid version of a broken file, and deletes", async () => {
    const dir = tempDir();
    cleanups.push(() => dir.cleanup());
    const file = (name: string) => join(dir.path, `${name}.yaml`);
    writeFileSync(file("crm"), hook("crm", "crm-v1"));
    daemon = await startDaemon({ natsUrl: nats.url, dir: dir.path });
    expect(await deliveredPaths()).toEqual(["/crm-v1"]);

    writeFileSync(file("billing"), hook("billing", "billing", { enabled: false }));
    await waitGeneration(2);
    expect(await deliveredPaths()).toEqual(["/crm-v1"]);

    writeFileSync(file("billing"), hook("billing", "billing", { enabled: true }));
    await waitGeneration(3);
    expect(await deliveredPaths()).toEqual(["/billing", "/crm-v1"]);

    writeFileSync(file("crm"), hook("crm", "crm-v2"));
    await waitGeneration(4);
    expect(await deliveredPaths()).toEqual(["/billing", "/crm-v2"]);

    writeFileSync(file("crm"), hook("crm", "crm-v3").replace("hookswitch/v1", "hookswitch/v9"));
    await waitGeneration(5);
    const broken = await status();
    expect(broken.lastReloadSuccessful).toBe(false);
    expect(broken.invalidFiles[0]?.file).toMatch(/crm\.yaml$/);
    // Its last valid version runs, and says so; nothing of it is left out.
    expect(broken.invalidFiles[0]?.notRunning).toEqual([]);
    const fileInvalid = Object.fromEntries(broken.integrations.map((i) => [i.name, i.fileInvalid]));
    expect(fileInvalid).toEqual({ billing: false, crm: true });
    expect(await deliveredPaths()).toEqual(["/billing", "/crm-v2"]);
    const metrics = await (await fetch(`${daemon.http}/metrics`)).text();
    expect(metrics).toMatch(/hookswitch_config_last_reload_successful 0/);

    writeFileSync(file("crm"), hook("crm", "crm-v4"));
    await waitGeneration(6);
    expect((await status()).lastReloadSuccessful).toBe(true);
    expect(await deliveredPaths()).toEqual(["/billing", "/crm-v4"]);

    rmSync(file("billing"));
    await waitGeneration(7);
    expect(await deliveredPaths()).toEqual(["/crm-v4"]);
  }, 60_000);

  it("refuses to start with --strict while any file is invalid, and starts without it", async () => {
    const dir = tempDir();
    cleanups.push(() => dir.cleanup());
    writeFileSync(join(dir.path, "crm.yaml"), hook("crm", "strict-ok"));
    writeFileSync(join(dir.path, "broken.yaml"), "apiVersion: hookswitch/v1\nname: Not A Label\n");
    const fatalOf = async (logLevel: string) => {
      const strict = await startDaemon({
        natsUrl: nats.url,
        dir: dir.path,
        args: ["--strict"],
        env: { LOG_LEVEL: logLevel },
        waitReady: false,
      });
      expect(await strict.exited).toBe(1);
      expect(strict.output()).toMatch(/--strict/);
      expect(strict.output()).toMatch(/broken\.yaml/);
      const fatal = strict
        .output()
        .split("\n")
        .find((line) => line.includes('"level":"fatal"'));
      return (JSON.parse(fatal!) as { err: { type: string; message: string; stack: string } }).err;
    };
    // What to do, without a stack of hookswitch's own code under it; at debug, with it.
    const err = await fatalOf("info");
    expect(err.type).toBe("ConfigError");
    expect(err.message).toMatch(/fix them or drop --strict$/);
    expect(err.stack).toBe("");
    expect((await fatalOf("debug")).stack).toMatch(/^ConfigError: .*\n\s+at /);
    daemon = await startDaemon({ natsUrl: nats.url, dir: dir.path });
    expect(await deliveredPaths()).toEqual(["/strict-ok"]);
  }, 30_000);

  it("consumes nothing while its folder is missing, then delivers what waited", async () => {
    const parent = tempDir();
    cleanups.push(() => parent.cleanup());
    // The streams are the daemon's to make; one started on an empty folder leaves them.
    const maker = await startDaemon({ natsUrl: nats.url, dir: parent.path });
    expect(await maker.stop()).toBe(0);
    const dir = join(parent.path, "integrations.d");
    daemon = await startDaemon({ natsUrl: nats.url, dir, waitReady: false });
    const readyz = () =>
      fetch(`${daemon!.http}/readyz`).then(
        async (r) => `${r.status} ${await r.text()}`,
        () => "down",
      );
    await waitFor(async () => (await readyz()).startsWith("503"), { what: "a 503 from /readyz" });
    expect(await readyz()).toMatch(/integrations\.d does not exist/);
    const api = () =>
      fetch(`${daemon!.http}/api/integrations`).then((r) => r.json() as Promise<Status>);
    // No load yet: neither a successful one nor a failed one, and the folder is why.
    expect(await api()).toMatchObject({
      lastReloadSuccessful: null,
      notReadyReason: `${dir} does not exist`,
      invalidFiles: [
        {
          file: dir,
          problems: [
            {
              message: `${dir} does not exist: no events are consumed until the integrations folder is there (check --dir)`,
            },
          ],
        },
      ],
    });
    receiver.requests.length = 0;
    const waiting = makeEvent();
    await publisher.publish(waiting);
    await sleep(1_000);
    expect(receiver.requests).toEqual([]);

    mkdirSync(dir);
    writeFileSync(join(dir, "crm.yaml"), hook("crm", "late-folder"));
    await waitFor(() => deliveredEvents(receiver).has(waiting.id), {
      timeoutMs: 15_000,
      what: "the waiting event delivered",
    });
    expect(await readyz()).toMatch(/^200/);
    expect(await api()).toMatchObject({
      lastReloadSuccessful: true,
      notReadyReason: null,
      invalidFiles: [],
    });
    // The start line may follow the first delivery: consuming begins before it is written.
    await waitFor(
      () =>
        /hookswitch \d+\.\d+\.\d+\S* is running: 1 integration from \S*integrations\.d \(config generation 1, digest [0-9a-f]{12}\)"/.test(
          daemon!.output(),
        ),
      { what: "the start line" },
    );
  }, 40_000);

  it("says at start which integrations an invalid file leaves out of this replica, and what to do", async () => {
    const configs = tempDir();
    cleanups.push(() => configs.cleanup());
    writeFileSync(join(configs.path, "tickets.yaml"), hook("tickets"));
    // A valid document beside the broken one is left out with it, and named.
    const valid = hook("crm-audit");
    writeFileSync(
      join(configs.path, "crm.yaml"),
      `${valid}\n---\n${hook("crm", "crm", { colour: "blue" })}`,
    );
    daemon = await startDaemon({ natsUrl: nats.url, dir: configs.path });
    expect(leftOutWarning()).toMatchObject({
      level: "warn",
      files: [join(configs.path, "crm.yaml")],
      integrations: ["crm", "crm-audit"],
      msg: expect.stringMatching(
        /^1 invalid file at start, with no last valid version to keep: their integrations \(crm, crm-audit\) do not run on this replica, .* run with --strict \(HOOKSWITCH_STRICT\)/,
      ) as string,
    });
  }, 30_000);

  it("says at start that a file too broken to name an integration is left out, naming none", async () => {
    const configs = tempDir();
    cleanups.push(() => configs.cleanup());
    writeFileSync(join(configs.path, "tickets.yaml"), hook("tickets"));
    writeFileSync(join(configs.path, "broken.yaml"), "name: [crm\n");
    daemon = await startDaemon({ natsUrl: nats.url, dir: configs.path });
    expect(leftOutWarning()).toMatchObject({
      level: "warn",
      files: [join(configs.path, "broken.yaml")],
      integrations: [],
      msg: expect.stringMatching(
        /^1 invalid file at start, with no last valid version to keep: their integrations do not run on this replica/,
      ) as string,
    });
  }, 30_000);

  it("starts with --strict when every file is valid", async () => {
    const configs = tempDir();
    cleanups.push(() => configs.cleanup());
    writeFileSync(join(configs.path, "crm.yaml"), hook("crm", "strict-valid"));
    daemon = await startDaemon({ natsUrl: nats.url, dir: configs.path, args: ["--strict"] });
    expect(await deliveredPaths()).toEqual(["/strict-valid"]);
  }, 30_000);

  it("says nothing of integrations left out at start when a file only repeats a running name", async () => {
    const configs = tempDir();
    cleanups.push(() => configs.cleanup());
    writeFileSync(join(configs.path, "a.yaml"), hook("crm", "a"));
    writeFileSync(join(configs.path, "b.yaml"), hook("crm", "b"));
    daemon = await startDaemon({ natsUrl: nats.url, dir: configs.path });
    expect(daemon.output()).toMatch(/duplicate name \\"crm\\"/);
    expect(daemon.output()).not.toMatch(/at start, with no last valid version/);
  }, 30_000);

  it("refuses to start on a missing folder with --strict", async () => {
    const parent = tempDir();
    cleanups.push(() => parent.cleanup());
    const strict = await startDaemon({
      natsUrl: nats.url,
      dir: join(parent.path, "typo.d"),
      args: ["--strict"],
      waitReady: false,
    });
    expect(await strict.exited).toBe(1);
    expect(strict.output()).toMatch(/typo\.d does not exist and --strict is set/);
  }, 30_000);

  it("follows a Kubernetes ConfigMap volume's ..data swaps", async () => {
    const layout = configMapLayout({ "crm.yaml": hook("crm", "cm-v1") });
    cleanups.push(() => layout.cleanup());
    daemon = await startDaemon({ natsUrl: nats.url, dir: layout.dir });
    expect(await deliveredPaths()).toEqual(["/cm-v1"]);
    layout.swap({ "crm.yaml": hook("crm", "cm-v2"), "tickets.yaml": hook("tickets", "tickets") });
    await waitGeneration(2);
    expect(await deliveredPaths()).toEqual(["/cm-v2", "/tickets"]);
    layout.swap({ "tickets.yaml": hook("tickets", "tickets-v2") }, { keepOld: true });
    await waitGeneration(3);
    expect(await deliveredPaths()).toEqual(["/tickets-v2"]);
  }, 60_000);

  it("follows a git-sync checkout's symlink swaps", async () => {
    const layout = gitSyncLayout({ "crm.yaml": hook("crm", "git-v1") });
    cleanups.push(() => layout.cleanup());
    daemon = await startDaemon({ natsUrl: nats.url, dir: layout.dir });
    expect(await deliveredPaths()).toEqual(["/git-v1"]);
    layout.commit({
      "crm.yaml": hook("crm", "git-v2"),
      "billing.yaml": hook("billing", "billing"),
    });
    await waitGeneration(2);
    expect(await deliveredPaths()).toEqual(["/billing", "/git-v2"]);
  }, 60_000);

  it("skips waiting retries of an integration that gets disabled", async () => {
    const dir = tempDir();
    cleanups.push(() => dir.cleanup());
    const flaky = await startReceiver(() => ({ status: 503 }));
    try {
      const yaml = (enabled: boolean) =>
        integrationYaml("flaky", {
          enabled,
          webhook: {
            url: `${flaky.url}/x`,
            retry: { maxAttempts: 10, initialDelay: "2s", maxDelay: "2s" },
          },
        });
      writeFileSync(join(dir.path, "flaky.yaml"), yaml(true));
      daemon = await startDaemon({ natsUrl: nats.url, dir: dir.path });
      const event = makeEvent();
      await publisher.publish(event);
      await waitFor(() => flaky.requests.length >= 1, { what: "the first attempt" });
      writeFileSync(join(dir.path, "flaky.yaml"), yaml(false));
      await waitGeneration(2);
      await sleep(3_000);
      expect(flaky.requests).toHaveLength(1);
      const metrics = await (await fetch(`${daemon.http}/metrics`)).text();
      expect(metrics).toMatch(
        /hookswitch_deliveries_total\{integration="flaky",outcome="skipped"\} 1/,
      );
      // The line names the event, to tell which events the integration never got.
      const skipped = daemon
        .output()
        .split("\n")
        .find((l) => l.includes("delivery skipped: integration disabled"));
      expect(JSON.parse(skipped ?? "{}")).toMatchObject({
        integration: "flaky",
        eventId: event.id,
      });
    } finally {
      await flaky.close();
    }
  }, 60_000);

  it("sends no waiting retry to an integration whose scope has moved to another account", async () => {
    const dir = tempDir();
    cleanups.push(() => dir.cleanup());
    const down = await startReceiver(() => ({ status: 503 }));
    try {
      const yaml = (account: string, url: string) =>
        integrationYaml("tenant-hook", { scope: { account }, webhook: retriedEvery2s(url) });
      writeFileSync(join(dir.path, "tenant.yaml"), yaml("acme", `${down.url}/acme`));
      daemon = await startDaemon({ natsUrl: nats.url, dir: dir.path });
      const event = makeEvent();
      await publisher.publish(event);
      await waitFor(() => down.requests.length >= 1, { what: "the first attempt" });
      // One save hands the integration, with a receiver that answers, to another tenant.
      writeFileSync(join(dir.path, "tenant.yaml"), yaml("other-tenant", `${receiver.url}/other`));
      await waitGeneration(2);
      await waitFor(
        async () =>
          /hookswitch_deliveries_total\{integration="tenant-hook",outcome="skipped"\} 1/.test(
            await (await fetch(`${daemon!.http}/metrics`)).text(),
          ),
        { timeoutMs: 10_000, what: "the retry skipped" },
      );
      expect(receiver.requests).toHaveLength(0);
      expect(down.requests).toHaveLength(1);
      const skipped = daemon
        .output()
        .split("\n")
        .find((l) => l.includes("delivery skipped: integration no longer matches the event"));
      expect(JSON.parse(skipped ?? "{}")).toMatchObject({
        integration: "tenant-hook",
        eventId: event.id,
      });
      expect(skipped).toContain("scoped to account other-tenant, the event is for account");

      // Its own events still reach it.
      const own = makeEvent({ account: "other-tenant" });
      await publisher.publish(own);
      await waitFor(() => receiver.requests.length >= 1, { what: "the new tenant's event" });
      expect(receiver.requests[0]?.body).toContain(own.id);
    } finally {
      await down.close();
    }
  }, 60_000);

  it("keeps the waiting retries of an integration whose file is invalid when the daemon restarts", async () => {
    const dir = tempDir();
    cleanups.push(() => dir.cleanup());
    let answer = 503;
    const flaky = await startReceiver(() => ({ status: answer }));
    try {
      const file = join(dir.path, "flaky.yaml");
      const yaml = (extra: Record<string, unknown> = {}) =>
        integrationYaml("flaky", { webhook: retriedEvery2s(`${flaky.url}/x`), ...extra });
      writeFileSync(file, yaml());
      daemon = await startDaemon({ natsUrl: nats.url, dir: dir.path });
      await publisher.publish(makeEvent());
      await waitFor(() => flaky.requests.length >= 1, { what: "the first attempt" });
      expect(await daemon.stop()).toBe(0);
      // Restarted while the file is invalid: the new process has no last valid version.
      writeFileSync(file, yaml({ methd: "POST" }));
      daemon = await startDaemon({ natsUrl: nats.url, dir: dir.path });
      await sleep(3_000);
      answer = 200;
      writeFileSync(file, yaml());
      await expectRetrySent(flaky, daemon, "the retry once the file is fixed");
    } finally {
      await flaky.close();
    }
  }, 60_000);

  it("keeps the waiting retries of an integration that a replica whose configuration lags does not know yet", async () => {
    const newer = tempDir();
    const older = tempDir();
    cleanups.push(
      () => newer.cleanup(),
      () => older.cleanup(),
    );
    let answer = 503;
    const flaky = await startReceiver(() => ({ status: answer }));
    const added = integrationYaml("added", { webhook: retriedEvery2s(`${flaky.url}/x`) });
    writeFileSync(join(newer.path, "added.yaml"), added);
    writeFileSync(join(older.path, "other.yaml"), hook("other"));
    const ahead = await startDaemon({ natsUrl: nats.url, dir: newer.path });
    try {
      await publisher.publish(makeEvent());
      await waitFor(() => flaky.requests.length >= 1, { what: "the first attempt" });
      // The replica that has the new integration leaves its retry to one that lags.
      daemon = await startDaemon({ natsUrl: nats.url, dir: older.path });
      expect(await ahead.stop()).toBe(0);
      await sleep(3_000);
      answer = 200;
      writeFileSync(join(older.path, "added.yaml"), added);
      await expectRetrySent(
        flaky,
        daemon,
        "the retry once the lagging replica has the integration",
      );
    } finally {
      await ahead.stop();
      await flaky.close();
    }
  }, 60_000);
});
