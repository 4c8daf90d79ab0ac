/**
 * A daemon whose NATS login is refused, at start (a wrong password) or after it was running
 * (credentials revoked, a server restarted with other users): it ends with exit 1, saying
 * why, to be started again, instead of staying up and never ready.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstream } from "@nats-io/jetstream";
import { connect, nkeys } from "@nats-io/transport-node";
import { afterEach, describe, expect, it } from "vitest";
import { eventSubject } from "../../src/events/sample.js";
import {
  killLeftOver,
  makeEvent,
  startTracked,
  tempDir,
  writeIntegration,
  type RunningDaemon,
} from "../support/daemon.js";
import { startReceiver } from "../support/receiver.js";
import { waitFor } from "../support/wait.js";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";

describe("hookswitch run when NATS refuses its login after a restart", () => {
  const daemons: RunningDaemon[] = [];
  let server: NatsServer | undefined;
  let folder: string | undefined;
  afterEach(async () => {
    await killLeftOver(daemons);
    await server?.dispose();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it("stops with exit 1, saying why, rather than stay up never ready", async () => {
    folder = mkdtempSync(join(tmpdir(), "hookswitch-refused-"));
    const config = join(folder, "nats.conf");
    const allow = (key: string) =>
      writeFileSync(config, `authorization { users = [ { nkey: "${key}" } ] }\n`);
    const user = nkeys.createUser();
    allow(user.getPublicKey());
    const seedFile = join(folder, "user.nk");
    writeFileSync(seedFile, new TextDecoder().decode(user.getSeed()));
    server = await startNatsServer(["-c", config]);
    const dir = tempDir();
    try {
      const daemon = await startTracked(daemons, {
        natsUrl: server.url,
        dir: dir.path,
        env: { NATS_NKEY: seedFile },
      });
      await server.stop();
      allow(nkeys.createUser().getPublicKey());
      await server.start();
      const code = await Promise.race([
        daemon.exited,
        new Promise((resolve) => setTimeout(resolve, 20_000, "still running")),
      ]);
      expect(code).toBe(1);
      expect(daemon.output()).toMatch(
        /the NATS connection closed for good: .*authorization violation.* — stopping, to be started again/,
      );
    } finally {
      dir.cleanup();
    }
  }, 40_000);

  it("ends the stop that follows, while a receiver holds a delivery, at a second signal", async () => {
    folder = mkdtempSync(join(tmpdir(), "hookswitch-refused-"));
    const config = join(folder, "nats.conf");
    const allow = (daemonPassword: string) =>
      writeFileSync(
        config,
        "authorization { users = [ " +
          `{ user: daemon, password: ${daemonPassword} }, { user: pbx, password: pbx-7Q } ] }\n`,
      );
    allow("first-7Q");
    server = await startNatsServer(["-c", config]);
    const receiver = await startReceiver(() => ({ until: new Promise(() => undefined) }));
    const dir = tempDir();
    try {
      writeIntegration(dir.path, "crm", { url: `${receiver.url}/hook` });
      const daemon = await startTracked(daemons, {
        natsUrl: server.url,
        dir: dir.path,
        args: ["--grace-period", "60s"],
        env: { NATS_USER: "daemon", NATS_PASSWORD: "first-7Q" },
      });
      const pbx = await connect({ servers: server.url, user: "pbx", pass: "pbx-7Q" });
      const event = makeEvent();
      await jetstream(pbx).publish(eventSubject(event), JSON.stringify(event));
      await pbx.close();
      await waitFor(() => receiver.requests.length > 0, { what: "the delivery in flight" });

      await server.stop();
      allow("second-7Q");
      await server.start();
      await waitFor(() => daemon.output().includes('"level":"fatal"'), {
        timeoutMs: 20_000,
        what: "the daemon's failure",
      });
      daemon.signal("SIGTERM");
      await waitFor(() => daemon.output().includes("send the signal again to stop at once"), {
        what: "the first signal taken",
      });
      daemon.signal("SIGTERM");
      const code = await Promise.race([
        daemon.exited,
        new Promise((resolve) => setTimeout(resolve, 10_000, "still stopping")),
      ]);
      expect(code).toBe(143);
    } finally {
      await receiver.close();
      dir.cleanup();
    }
  }, 60_000);

  it("does not wait out a login refused at start: exit 1, saying to check the credentials", async () => {
    folder = mkdtempSync(join(tmpdir(), "hookswitch-refused-"));
    const config = join(folder, "nats.conf");
    writeFileSync(config, `authorization { user: crm, password: right }\n`);
    server = await startNatsServer(["-c", config]);
    const dir = tempDir();
    try {
      const daemon = await startTracked(daemons, {
        natsUrl: server.url,
        dir: dir.path,
        env: { NATS_USER: "crm", NATS_PASSWORD: "not-the-password-7Q" },
        waitReady: false,
      });
      const code = await Promise.race([
        daemon.exited,
        new Promise((resolve) => setTimeout(resolve, 20_000, "still running")),
      ]);
      expect(code).toBe(1);
      expect(daemon.output()).toMatch(
        /cannot reach NATS at nats:\/\/127\.0\.0\.1:\d+: authorization violation — check the NATS credentials/,
      );
      expect(daemon.output()).not.toContain("not-the-password-7Q");
    } finally {
      dir.cleanup();
    }
  }, 40_000);
});
