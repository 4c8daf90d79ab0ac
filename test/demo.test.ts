import { spawn, type ChildProcess } from "node:child_process";
import { describe, expect, it } from "vitest";
import { REPO } from "./support/cli.js";
import { waitFor } from "./support/wait.js";

/** The demo with its output collected; `detached` gives it a process group, as a terminal does. */
function demo(args: string[], detached = false) {
  const child = spawn(process.execPath, ["scripts/demo.mjs", ...args], {
    cwd: REPO,
    env: { ...process.env, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
    detached,
  });
  const collected = { output: "" };
  child.stdout?.on("data", (c: Buffer) => (collected.output += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (collected.output += c.toString()));
  return { child, collected };
}

async function exitCode(child: ChildProcess): Promise<number | null> {
  const timer = setTimeout(() => child.kill("SIGKILL"), 50_000);
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  clearTimeout(timer);
  return code;
}

describe("npm run demo", () => {
  it("shows webhooks arriving from a throw-away NATS, then stops everything", async () => {
    const { child, collected } = demo(["--once"]);
    const code = await exitCode(child);
    const { output } = collected;
    expect(output).toMatch(/hookswitch is ready/);
    expect(output).toMatch(/webhook #1/);
    expect(output).toMatch(/webhook-signature: v1,/);
    expect(output).not.toMatch(/demo-crm-token|demo-billing-password/);
    expect(code).toBe(0);
  }, 60_000);

  it("stops hookswitch gracefully on Ctrl-C, which the terminal sends to the whole group", async () => {
    const { child, collected } = demo([], true);
    await waitFor(() => collected.output.includes("press Ctrl-C to stop"), {
      timeoutMs: 45_000,
      what: "the demo to be running",
    });
    process.kill(-(child.pid ?? 0), "SIGINT");
    const code = await exitCode(child);
    expect(collected.output).toMatch(/stopping: finishing in-flight deliveries/);
    expect(collected.output).toMatch(/INFO: stopped/);
    expect(collected.output).not.toMatch(/second signal/);
    expect(code).toBe(0);
  }, 60_000);
});
