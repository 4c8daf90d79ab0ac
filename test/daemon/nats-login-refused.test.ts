/**
 * A daemon whose NATS login is refused, at start (a wrong password) or after it was running
 * (credentials revoked, a server restarted with other users): it ends with exit 1, saying
 * why, to be started again, instead of staying up and never ready.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nkeys } from "@nats-io/transport-node";
import { afterEach, describe, expect, it } from "vitest";
import { killLeftOver, startTracked, tempDir, type RunningDaemon } from "../support/daemon.js";
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
