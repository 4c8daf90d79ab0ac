/**
 * The container image's recipe, checked without a container engine: the Dockerfile says
 * what README.md ("Run the daemon") and docs/operating.md say of the image, and
 * scripts/image-replay.mjs replays it end to end
 * (build stage, production install, the daemon with the image's environment, health
 * check, SIGTERM).
 */
import { spawn, spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO } from "../support/cli.js";

const SCRIPT = join(REPO, "scripts/image-replay.mjs");
const REPLAY_TIMEOUT_MS = 300_000;

interface Stage {
  name: string;
  image: string;
  steps: { keyword: string; value?: string | string[]; from?: string; sources?: string[] }[];
  env: Record<string, string>;
  labels: Record<string, string>;
  expose: string[];
  user?: string;
  stopsignal?: string;
  entrypoint?: string[];
  cmd?: string[];
  healthcheck?: { command: string[] };
}
interface Plan {
  stages: Stage[];
  image: Stage;
}

function plan(dockerfile?: string) {
  const args = [SCRIPT, "--plan", ...(dockerfile ? ["--dockerfile", dockerfile] : [])];
  return spawnSync(process.execPath, args, { encoding: "utf8", timeout: 20_000 });
}

const dockerfileText = readFileSync(join(REPO, "Dockerfile"), "utf8");
const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as {
  version: string;
  bin: Record<string, string>;
};
const parsed = plan();
const { stages, image } = JSON.parse(parsed.stdout) as Plan;
const runs = (stage: Stage | undefined) =>
  (stage?.steps ?? []).filter((s) => s.keyword === "RUN").map((s) => (s.value as string[]).at(-1));

describe("the Dockerfile", () => {
  it("is read by the replay script as many stages as it has FROM lines", () => {
    expect(parsed.status).toBe(0);
    expect(stages).toHaveLength(dockerfileText.match(/^FROM /gm)?.length ?? 0);
    expect(stages.length).toBeGreaterThanOrEqual(2);
  });

  it("builds every stage from one slim Node LTS image pinned by tag", () => {
    for (const stage of stages) expect(stage.image).toBe(image.image);
    const major = Number(/^node:(\d+)[\w.-]*-slim\b/.exec(image.image)?.[1]);
    expect(major % 2).toBe(0);
    expect(major).toBeGreaterThanOrEqual(20);
  });

  it("compiles in the build stage and installs only production dependencies at run time", () => {
    expect(runs(stages[0])).toEqual(
      expect.arrayContaining([expect.stringMatching(/^npm ci\b/), "npm run build"]),
    );
    expect(runs(image)).toEqual([
      expect.stringMatching(/^npm ci --omit=dev\b/),
      expect.stringMatching(/^mkdir -p .* && ln -s /),
    ]);
    const copies = image.steps.filter((s) => s.keyword === "COPY");
    expect(copies).toContainEqual(expect.objectContaining({ from: stages[0]!.name }));
    const copied = copies.flatMap((s) => s.sources ?? []);
    expect(copied).toEqual(expect.arrayContaining(["schemas"]));
  });

  it("bakes in no integrations: an empty folder where HOOKSWITCH_DIR points, to mount over", () => {
    const copied = image.steps.filter((s) => s.keyword === "COPY").flatMap((s) => s.sources ?? []);
    expect(copied.filter((source) => source.includes("integrations"))).toEqual([]);
    expect(runs(image)).toContainEqual(
      expect.stringMatching(new RegExp(`(^|&& )mkdir -p ${image.env.HOOKSWITCH_DIR}( |$)`)),
    );
    const ignored = readFileSync(join(REPO, ".dockerignore"), "utf8").split("\n");
    expect(ignored).toContain("integrations.d");
  });

  it("puts the package's bin on the PATH as hookswitch, executable with a node shebang", () => {
    expect(pkg.bin.hookswitch).toBe("dist/cli.js");
    expect(runs(image)).toContainEqual(
      expect.stringMatching(
        new RegExp(`(^|&& )ln -s /app/${pkg.bin.hookswitch} /usr/local/bin/hookswitch( |$)`),
      ),
    );
    const source = readFileSync(join(REPO, "src/cli.ts"), "utf8");
    expect(source.split("\n")[0]).toBe("#!/usr/bin/env node");
    // npm run build (run by pretest, and in the build stage) leaves it executable.
    expect(statSync(join(REPO, pkg.bin.hookswitch!)).mode & 0o111).toBe(0o111);
  });

  it("runs hookswitch run as a non-root user with the documented environment", () => {
    expect(image.user).toMatch(/^[1-9]\d*(:\d+)?$/);
    expect(image.entrypoint).toEqual(["hookswitch"]); // as README.md says
    expect(image.steps).toContainEqual({ keyword: "WORKDIR", value: "/app" });
    expect(image.cmd).toEqual(["run"]);
    expect(image.stopsignal).toBe("SIGTERM");
    expect(image.env).toEqual({
      NODE_ENV: "production",
      HOOKSWITCH_DIR: "/etc/hookswitch/integrations.d",
      HOOKSWITCH_HTTP_ADDR: `0.0.0.0:${image.expose[0]}`,
    });
    expect(image.expose).toEqual(["9464"]);
  });

  it("checks health with node itself on /healthz", () => {
    const [program, flag, code] = image.healthcheck?.command ?? [];
    expect([program, flag]).toEqual(["node", "-e"]);
    expect(code).toContain("/healthz");
    expect(code).toContain("HOOKSWITCH_HTTP_ADDR");
  });

  describe("the HEALTHCHECK command, for each form of HOOKSWITCH_HTTP_ADDR", () => {
    const servers: Record<string, Server> = {};
    const ports: Record<string, number> = {};
    const hits: string[] = [];
    const listen = (host: string) =>
      new Promise<void>((resolve, reject) => {
        const server = createServer((req, res) => {
          hits.push(`${host}${req.url}`);
          res.end("ok");
        });
        server.once("error", reject).listen(0, host, () => {
          servers[host] = server;
          ports[host] = (server.address() as AddressInfo).port;
          resolve();
        });
      });
    const probe = (addr: string | undefined) =>
      new Promise<number | null>((resolve) => {
        const [program, flag, code] = image.healthcheck!.command;
        const env = { ...process.env, HOOKSWITCH_HTTP_ADDR: addr };
        if (addr === undefined) delete env.HOOKSWITCH_HTTP_ADDR;
        const child = spawn(program === "node" ? process.execPath : program!, [flag!, code!], {
          env,
          stdio: "ignore",
        });
        child.on("close", resolve);
      });
    beforeAll(async () => {
      await listen("127.0.0.1");
      await listen("::1");
    });
    afterAll(() => {
      for (const server of Object.values(servers)) server.close();
    });

    const cases: [string, string, string][] = [
      ["0.0.0.0:PORT", "127.0.0.1", "127.0.0.1"],
      [":PORT", "127.0.0.1", "127.0.0.1"],
      ["127.0.0.1:PORT", "127.0.0.1", "127.0.0.1"],
      ["[::]:PORT", "::1", "::1"],
      ["[::1]:PORT", "::1", "::1"],
      [" [::1]:PORT ", "::1", "::1"],
    ];
    it.each(cases)("%j probes /healthz on %s", async (form, listener, expected) => {
      hits.length = 0;
      const addr = form.replace("PORT", String(ports[listener]));
      expect(await probe(addr)).toBe(0);
      expect(hits).toEqual([`${expected}/healthz`]);
    });

    it("fails for an address nothing listens on, or one that is not host:port", async () => {
      const closed = createServer();
      await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((r) => closed.close(() => r()));
      expect(await probe(`127.0.0.1:${port}`)).toBe(1);
      expect(await probe(`[::1]:${ports["127.0.0.1"]}`)).not.toBe(0);
      expect(await probe("9464")).toBe(1);
    });
  });

  it("labels the image with the package's version", () => {
    expect(image.labels["org.opencontainers.image.version"]).toBe(pkg.version);
    expect(image.labels["org.opencontainers.image.title"]).toBe("hookswitch");
  });
});

describe("the replay script", () => {
  const temp = mkdtempSync(join(tmpdir(), "hookswitch-dockerfile-"));
  afterAll(() => rmSync(temp, { recursive: true, force: true }));

  it("refuses a Dockerfile instruction it cannot replay, rather than skipping it", () => {
    const dockerfile = join(temp, "Dockerfile");
    writeFileSync(dockerfile, "FROM node:24-bookworm-slim\nADD https://example.com/x /x\n");
    const result = plan(dockerfile);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/FAIL: .*instruction ADD/);
  });

  it("refuses a RUN that names an absolute path, rather than running it on this machine", () => {
    const dockerfile = join(temp, "Dockerfile");
    const marker = join(temp, "must-not-exist");
    writeFileSync(dockerfile, `FROM node:24-bookworm-slim\nRUN touch ${marker}\n`);
    const result = spawnSync(process.execPath, [SCRIPT, "--dockerfile", dockerfile], {
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/FAIL: RUN .*touch .*absolute path/);
    expect(() => statSync(marker)).toThrow();
  });

  it(
    "builds the image's file system, runs the daemon, passes the health check and stops cleanly",
    async () => {
      const child = spawn(process.execPath, [SCRIPT], {
        cwd: REPO,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout.on("data", (c: Buffer) => (output += c.toString()));
      child.stderr.on("data", (c: Buffer) => (output += c.toString()));
      const code = await new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => child.kill("SIGKILL"), REPLAY_TIMEOUT_MS - 10_000);
        child.on("close", (exit) => {
          clearTimeout(timer);
          resolve(exit);
        });
      });
      expect(output).toContain("PASS /healthz answers 200 while NATS is unreachable");
      expect(output).toContain("PASS the HEALTHCHECK command exits 0");
      expect(output).toContain("PASS /readyz answers 200 once NATS is reachable");
      expect(output).toContain("PASS SIGTERM stops the daemon with exit code 0");
      expect(output).toMatch(/^image-replay: PASS$/m);
      expect(code).toBe(0);
    },
    REPLAY_TIMEOUT_MS,
  );
});
