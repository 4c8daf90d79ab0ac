import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { REPO } from "./support/cli.js";

describe("npm run demo", () => {
  it("shows webhooks arriving from a throw-away NATS, then stops everything", async () => {
    const child = spawn(process.execPath, ["scripts/demo.mjs", "--once"], {
      cwd: REPO,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 50_000);
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    clearTimeout(timer);
    expect(output).toMatch(/hookswitch is ready/);
    expect(output).toMatch(/webhook #1/);
    expect(output).toMatch(/webhook-signature: v1,/);
    expect(output).not.toMatch(/demo-crm-token|demo-billing-password/);
    expect(code).toBe(0);
  }, 60_000);
});
