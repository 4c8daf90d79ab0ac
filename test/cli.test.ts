import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, REPO, runCli } from "./support/cli.js";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hookswitch-cli-"));
  // Enough problems that validate has much to print.
  const unknownKeys = Array.from({ length: 50 }, (_, i) => `key${i}: 1`).join("\n");
  for (let i = 0; i < 20; i++) await writeFile(join(dir, `f${i}.yaml`), `${unknownKeys}\n`);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * Runs `hookswitch ...args` with its standard output (and, with `closeStderr`, its standard
 * error) closed by the reader before the command writes anything, as `| head -c 0` would.
 */
function runIntoClosedPipe(
  args: string[],
  closeStderr = false,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, stdio: "pipe" });
    child.stdout.destroy();
    if (closeStderr) child.stderr.destroy();
    let stderr = "";
    if (!closeStderr) child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`hookswitch ${args.join(" ")} did not finish in 20 s`));
    }, 20_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
    child.stdin.end();
  });
}

describe("hookswitch writing into a pipe its reader has closed", () => {
  it.each([
    ["validate of invalid files", () => ["validate", dir], 1],
    ["schema", () => ["schema"], 0],
    ["--help", () => ["--help"], 0],
  ])("%s ends quietly with its own exit code", async (_what, args, code) => {
    const result = await runIntoClosedPipe(args());
    expect(result.stderr).toBe("");
    expect(result.code).toBe(code);
  });

  it("still exits 2 on a usage error when standard error is closed too", async () => {
    const result = await runIntoClosedPipe(["validate", join(dir, "no-such-folder")], true);
    expect(result.code).toBe(2);
  });
});

describe("the help of every command that reaches NATS", () => {
  const variables = [
    "NATS_USER",
    "NATS_PASSWORD",
    "NATS_TOKEN",
    "NATS_CREDS",
    "NATS_NKEY",
    "NATS_URL",
    "NATS_CA",
    "NATS_CERT",
    "NATS_KEY",
  ];

  it.each(["run", "emit user.created", "dlq list", "dlq replay", "dlq purge"])(
    "%s names every NATS variable, as credentials have no flags",
    async (command) => {
      const result = await runCli([...command.split(" "), "--help"]);
      expect(result.code).toBe(0);
      for (const variable of variables) expect(result.stdout).toContain(variable);
    },
  );

  it("is not given to commands that do not", async () => {
    const result = await runCli(["validate", "--help"]);
    expect(result.stdout).not.toContain("NATS_");
  });
});

describe("hookswitch on a usage error", () => {
  it.each([
    ["an unknown flag", ["emit", "user.created", "--bogus"]],
    ["an unknown flag of a dlq command", ["dlq", "list", "--bogus"]],
    ["a flag without its value", ["dlq", "replay", "--integration"]],
    ["a mistyped flag", ["dlq", "purge", "--al"]],
    ["an argument too many", ["run", "extra"]],
  ])("exits 2 on %s, as for every command, before it reaches NATS", async (_what, args) => {
    const result = await runCli(args, { env: { NATS_URL: "nats://127.0.0.1:1" } });
    expect(result.stderr).toMatch(/error: /);
    expect(result.code).toBe(2);
  });
});

describe("hookswitch's commands", () => {
  const commands = ["run", "validate", "render", "emit", "dlq", "schema", "permissions"];

  it.each([[["--help"]], [["help"]], [[]]])("are all listed by %j, in order", async (args) => {
    const result = await runCli(args);
    const listed = [...(result.stdout + result.stderr).matchAll(/^ {2}(\w+)\b/gm)]
      .map((m) => m[1])
      .filter((name) => name !== "help");
    expect(listed).toEqual(commands);
  });

  it("suggest the one meant when one is misspelt, with exit 2", async () => {
    const result = await runCli(["valdate", "integrations.d"]);
    expect(result.stderr).toContain("unknown command 'valdate'");
    expect(result.stderr).toContain("(Did you mean validate?)");
    expect(result.code).toBe(2);
  });

  it("each run when named alone, its own help too", async () => {
    for (const name of commands) {
      const result = await runCli([name, "--help"]);
      expect(result.stdout).toContain(`Usage: hookswitch ${name}`);
      expect(result.code).toBe(0);
    }
  });
});
