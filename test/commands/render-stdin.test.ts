/**
 * `hookswitch render --event -` reads standard input up to one byte more than an event may
 * hold, and no further: an endless pipe (`yes |`) is cut off, not read into memory.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_EVENT_BYTES } from "../../src/events/parse.js";
import { CLI, runCli } from "../support/cli.js";
import { integrationYaml } from "./validate-cases.js";

const EVENT_FILE = new URL("../fixtures/events/user-created.json", import.meta.url);
const TOO_LARGE = `standard input is not a valid event: it holds more than ${MAX_EVENT_BYTES} bytes, the most an event may`;

let dir: string;
let eventText: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hookswitch-render-stdin-"));
  await writeFile(join(dir, "crm.yaml"), integrationYaml("crm"));
  eventText = await readFile(EVENT_FILE, "utf8");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const render = (input: string) =>
  runCli(["render", "crm", "--dir", dir, "--event", "-"], { input, timeoutMs: 20_000 });

/** The event, then spaces (which JSON allows) up to `bytes` in all. */
const paddedTo = (bytes: number) => eventText + " ".repeat(bytes - Buffer.byteLength(eventText));

describe("hookswitch render --event - at the size limit", () => {
  it("renders an event of exactly the most an event may hold", async () => {
    const { code, stdout, stderr } = await render(paddedTo(MAX_EVENT_BYTES));
    expect(code, stderr).toBe(0);
    expect(stdout).toContain("POST http://127.0.0.1:8787/x");
  });

  it("refuses one byte more, rather than render the event cut to the limit", async () => {
    const { code, stderr } = await render(paddedTo(MAX_EVENT_BYTES + 1));
    expect(code).toBe(1);
    expect(stderr).toContain(TOO_LARGE);
  });
});

describe("hookswitch render --event - from a pipe that never ends", () => {
  it("stops reading and exits while the writer is still writing", async () => {
    const child = spawn(process.execPath, [CLI, "render", "crm", "--dir", dir, "--event", "-"], {
      env: { ...process.env, LOG_LEVEL: "warn" },
      stdio: ["pipe", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
    let gone = false;
    void exited.then(() => (gone = true));
    child.stdin.on("error", () => undefined); // EPIPE once the command stops reading

    // Bounded: 64 times the limit, or 20 s, whichever comes first.
    const chunk = Buffer.alloc(64 * 1024, "y");
    const most = 64 * MAX_EVENT_BYTES;
    const deadline = Date.now() + 20_000;
    const stopTimer = new AbortController();
    const timeUp = sleep(20_000, undefined, { signal: stopTimer.signal }).catch(() => undefined);
    let written = 0;
    while (!gone && written < most && Date.now() < deadline) {
      if (!child.stdin.write(chunk)) {
        const drained = new Promise((r) => child.stdin.once("drain", r));
        await Promise.race([drained, exited, timeUp]);
      }
      written += chunk.length;
    }
    stopTimer.abort();
    child.stdin.destroy();
    if (!gone) child.kill("SIGKILL");
    const code = await exited;

    expect(gone, `still reading after ${written} bytes`).toBe(true);
    expect(code).toBe(1);
    expect(stderr).toContain(TOO_LARGE);
  });
});
