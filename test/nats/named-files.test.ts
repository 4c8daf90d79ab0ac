/**
 * Files named by NATS variables are read like integration files: only regular files of at
 * most 1 MiB, so that a FIFO or a device named by mistake is an error, not a hang.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readNamedText } from "../../src/nats/named-files.js";
import { runCli } from "../support/cli.js";
import { tempDir } from "../support/daemon.js";

const dir = tempDir("hookswitch-named-files-");
afterAll(() => dir.cleanup());

const SECRET = "SUAMK2FG4MI6UE3ACF3FK3OIQBCEIEZV7NSWFFEW63UXMRLFM2XLAXK4GY";
const regular = join(dir.path, "user.nk");
writeFileSync(regular, `${SECRET}\n`);
const large = join(dir.path, "large.pem");
writeFileSync(large, Buffer.alloc(1024 * 1024 + 1, "a"));
const fifo = join(dir.path, "fifo");
const hasMkfifo = spawnSync("mkfifo", [fifo]).status === 0;

describe("readNamedText", () => {
  it("reads a regular file", () => {
    expect(readNamedText("NATS_NKEY", regular)).toBe(`${SECRET}\n`);
  });

  it.each([
    { file: join(dir.path, "missing.pem"), why: /: ENOENT/ },
    { file: dir.path, why: /: not a regular file; name the file itself$/ },
    { file: "/dev/zero", why: /: not a regular file; name the file itself$/ },
    { file: large, why: /: larger than 1 MiB \(1048577 bytes\); is it the right file\?$/ },
  ])("refuses $file, naming the variable and the file", ({ file, why }) => {
    expect(() => readNamedText("NATS_CA", file)).toThrow(
      new RegExp(`^cannot read the file named by NATS_CA \\(${escape(file)}\\)${why.source}`),
    );
  });

  it.skipIf(!hasMkfifo)("refuses a FIFO at once instead of waiting for a writer", () => {
    expect(() => readNamedText("NATS_CREDS", fifo)).toThrow(/not a regular file/);
  });
});

describe("a command given a FIFO as NATS_CA", () => {
  it.skipIf(!hasMkfifo)("ends with the error instead of hanging", async () => {
    const env = { NATS_URL: "nats://127.0.0.1:1", NATS_CA: fifo };
    const result = await runCli(["dlq", "list"], { env, timeoutMs: 10_000 });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `cannot read the file named by NATS_CA (${fifo}): not a regular file`,
    );
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
