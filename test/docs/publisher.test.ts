/**
 * The publisher example of docs/publishers.md, run as a user would run it, against a real
 * daemon: its event must reach the receiver, and publishing it again must change nothing.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookId } from "../../src/delivery/webhook-id.js";
import { REPO } from "../support/cli.js";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { startReceiver, type Receiver } from "../support/receiver.js";
import {
  startDaemon,
  stopThenCleanUp,
  tempDir,
  writeIntegration,
  type RunningDaemon,
} from "../support/daemon.js";
import { sleep, waitFor } from "../support/wait.js";

const EXAMPLE = join(REPO, "examples", "publisher", "publish.mjs");
const EVENT_ID = "6f1c2b9e-4d0a-4c55-9a51-3b7e8f2d1c00";

interface Published {
  id: string;
  subject: string;
  stream: string;
  seq: number;
  duplicate: boolean;
}

function runExample(env: Record<string, string>): Promise<Published> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [EXAMPLE], {
      cwd: REPO,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(stdout) as Published);
      else reject(new Error(`publish.mjs exited ${code}:\n${stderr}`));
    });
  });
}

describe("the publisher example", () => {
  let nats: NatsServer;
  let receiver: Receiver;
  let dir: ReturnType<typeof tempDir>;
  let daemon: RunningDaemon;

  beforeAll(async () => {
    nats = await startNatsServer();
    receiver = await startReceiver();
    dir = tempDir();
    writeIntegration(
      dir.path,
      "crm",
      {
        url: `${receiver.url}/hook`,
        fields: { ext: "extensionNumber", who: "name", at: "eventTime" },
      },
      { trigger: { serviceType: "mycloudpbx", events: ["user.created"] } },
    );
    daemon = await startDaemon({ natsUrl: nats.url, dir: dir.path });
  });
  afterAll(async () => {
    await stopThenCleanUp(
      daemon,
      () => receiver.close(),
      () => nats.dispose(),
      () => dir.cleanup(),
    );
  });

  it("publishes an event that the daemon delivers as a webhook", async () => {
    const published = await runExample({ NATS_URL: nats.url, PBX_EVENT_ID: EVENT_ID });
    expect(published).toMatchObject({
      id: EVENT_ID,
      subject: "pbx.acme.mycloudpbx.3f0c6f8e-6a0b-4a39-9b1e-0d6f1f3f4a11.user.created",
      stream: "PBX_EVENTS",
      duplicate: false,
    });
    await waitFor(() => receiver.requests.length >= 1, { what: "the webhook" });
    const [request] = receiver.requests;
    expect(request!.headers["webhook-id"]).toBe(webhookId("crm", EVENT_ID));
    const body = JSON.parse(request!.body) as Record<string, unknown>;
    expect(body).toMatchObject({ ext: "201", who: "Alice Example" });
    expect(Date.parse(String(body.at))).not.toBeNaN();
  });

  it("publishing the same event id again is a JetStream duplicate and sends nothing", async () => {
    const again = await runExample({ NATS_URL: nats.url, PBX_EVENT_ID: EVENT_ID });
    expect(again.duplicate).toBe(true);
    await sleep(500);
    expect(receiver.requests).toHaveLength(1);
  });

  it("is quoted verbatim in docs/publishers.md", () => {
    const doc = readFileSync(join(REPO, "docs", "publishers.md"), "utf8");
    expect(doc).toContain(readFileSync(EXAMPLE, "utf8").trim());
  });
});
