/**
 * Credentials in NATS_URL's user-info (as the nats CLI and the Go client take them), with
 * real nats-servers that require a user and password, or a token.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { startDaemon, tempDir, writeIntegration, type RunningDaemon } from "../support/daemon.js";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";

const USER = "hooks";
// Characters that must be percent-encoded in a URL's user-info.
const PASSWORD = "pw-S3cret@x:y/z%";
const TOKEN = "tok-S3cret/with@odd:chars";
const enc = encodeURIComponent;

/** No credential variable from the test's own environment reaches the CLI. */
const NO_CREDENTIAL_VARIABLES = {
  NATS_USER: undefined,
  NATS_PASSWORD: undefined,
  NATS_TOKEN: undefined,
  NATS_CREDS: undefined,
};

const hostOf = (server: NatsServer) => `127.0.0.1:${server.port}`;

/** No form of a secret in `text`: as given, or percent-encoded. */
function expectNoSecret(text: string) {
  for (const secret of [PASSWORD, TOKEN, enc(PASSWORD), enc(TOKEN), "S3cret"]) {
    expect(text).not.toContain(secret);
  }
}

describe("NATS credentials in the URL, user and password", () => {
  let nats: NatsServer;
  let url: string;
  let dir: ReturnType<typeof tempDir>;
  let daemon: RunningDaemon | undefined;

  beforeAll(async () => {
    nats = await startNatsServer(["--user", USER, "--pass", PASSWORD]);
    url = `nats://${enc(USER)}:${enc(PASSWORD)}@${hostOf(nats)}`;
    dir = tempDir();
    writeIntegration(dir.path, "crm", { url: "http://127.0.0.1:9/crm" });
  });
  afterAll(async () => {
    if (daemon && daemon.child.exitCode === null) daemon.child.kill("SIGKILL");
    await daemon?.exited;
    await nats.dispose();
    dir.cleanup();
  });

  const cli = (args: string[], env: Record<string, string | undefined> = {}) =>
    runCli(args, { env: { ...NO_CREDENTIAL_VARIABLES, NATS_URL: url, ...env } });

  it("run logs in with them, is ready, and logs no part of them", async () => {
    daemon = await startDaemon({
      natsUrl: url,
      dir: dir.path,
      env: { ...NO_CREDENTIAL_VARIABLES, LOG_LEVEL: "debug" },
    });
    expect(daemon.output()).toContain("connected to NATS");
    expect(await daemon.stop()).toBe(0);
    expectNoSecret(daemon.output());
  }, 40_000);

  it("emit publishes with them (the stream run created)", async () => {
    const result = await cli(["emit", "user.created"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("dlq list reads with them", async () => {
    const result = await cli(["dlq", "list"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });

  it("also takes them from --nats", async () => {
    const result = await runCli(["dlq", "list", "--nats", url], {
      env: { ...NO_CREDENTIAL_VARIABLES, NATS_URL: undefined },
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });

  it("says a wrong password in the URL is refused, without showing it", async () => {
    const wrong = `nats://${USER}:wrong-S3cret@${hostOf(nats)}`;
    const result = await cli(["dlq", "list"], { NATS_URL: wrong });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/authorization violation/);
    // The user-info was taken out of the URL: the server is named without it.
    expect(result.stderr).toContain(`cannot reach NATS at nats://${hostOf(nats)}: `);
    expect(result.stderr).not.toContain("wrong-S3cret");
  });

  it("refuses URL credentials beside NATS_USER/NATS_PASSWORD as a usage error naming both", async () => {
    const result = await cli(["dlq", "list"], { NATS_USER: USER, NATS_PASSWORD: PASSWORD });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "hookswitch: the --nats URL (NATS_URL) carries credentials and NATS_USER and NATS_PASSWORD are set too: give the NATS credentials in one place only\n",
    );
  });

  it("refuses servers with different credentials as a usage error", async () => {
    const other = `nats://${USER}:other-S3cret@127.0.0.1:1`;
    const result = await cli(["emit", "user.created"], { NATS_URL: `${url},${other}` });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/carry different credentials/);
    expectNoSecret(result.stderr);
    expect(result.stderr).not.toContain("other-S3cret");
  });
});

describe("NATS credentials in the URL, token", () => {
  let nats: NatsServer;

  beforeAll(async () => {
    nats = await startNatsServer(["--auth", TOKEN]);
  });
  afterAll(async () => {
    await nats.dispose();
  });

  it("dlq list logs in with a token given as the URL's user-info", async () => {
    const result = await runCli(["dlq", "list"], {
      env: { ...NO_CREDENTIAL_VARIABLES, NATS_URL: `nats://${enc(TOKEN)}@${hostOf(nats)}` },
    });
    // No daemon has run on this server: only the note that its queue does not exist yet.
    expect(result.stderr).toMatch(/^note: stream HOOKSWITCH_DLQ does not exist at [^\n]*\n$/);
    expect(result.code).toBe(0);
    expectNoSecret(result.stdout);
    expectNoSecret(result.stderr);
  });
});
