/**
 * The sample receiver of deploy/ (the compose example's, and the README's for the example
 * integrations): it answers each webhook 204 and logs it as one JSON line.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { REPO } from "../support/cli.js";
import { freePort, waitFor } from "../support/wait.js";

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

describe("deploy/receiver/server.mjs", () => {
  it("listens where HOST and PORT say, answers a webhook 204 and logs it as a JSON line", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [join(REPO, "deploy/receiver/server.mjs")], {
      env: { ...process.env, HOST: "127.0.0.1", PORT: String(port) },
      stdio: ["ignore", "pipe", "inherit"],
    });
    stops.push(() => child.kill("SIGTERM"));
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(() => output.includes(`receiver listening on 127.0.0.1:${port}`), {
      what: "the receiver listening",
    });

    const answer = await fetch(`http://127.0.0.1:${port}/crm/calls?ext=201`, {
      method: "POST",
      headers: { "content-type": "application/json", "webhook-id": "msg_1" },
      body: JSON.stringify({ ext: "201" }),
    });
    expect(answer.status).toBe(204);
    const line = await waitFor(() => output.split("\n").find((l) => l.startsWith("{")), {
      what: "the request logged",
    });
    expect(JSON.parse(line)).toMatchObject({
      method: "POST",
      path: "/crm/calls",
      query: { ext: "201" },
      body: '{"ext":"201"}',
    });
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  });
});
