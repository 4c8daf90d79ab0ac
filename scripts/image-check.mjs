#!/usr/bin/env node
/**
 * Builds the container image from the Dockerfile and checks it the way a deployment runs
 * it, with a real container engine: a read-only root file system and a tmpfs on /tmp (as
 * deploy/compose.yaml and the Kubernetes manifests ask), the image's own user, the sample
 * receiver of deploy/receiver in a container of the base image, and nats-server started
 * here on a free port. Checks: /readyz answers, an event emitted with the image's CLI
 * reaches the receiver through both integrations of deploy/integrations.d (one signed), the
 * engine's HEALTHCHECK reports healthy, the process is not root, `docker stop` ends it with
 * exit code 0 after the shutdown ladder, and no secret reaches its logs. Prints PASS or FAIL.
 *
 *   node scripts/image-check.mjs                  build hookswitch:check, then check it
 *   --image NAME          the tag to build and check (default hookswitch:check)
 *   --no-build            check an image already built under --image
 *   --node-image NAME     the base image (the Dockerfile's NODE_IMAGE; default its own)
 *
 * Containers share the host's network, so that they reach a nats-server and a receiver on
 * 127.0.0.1 (Linux engines). DOCKER names the engine's command (default docker),
 * NATS_SERVER_BIN the nats-server binary. Every container and process it starts is removed
 * or stopped at the end, whatever happened.
 */
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { freePort } from "./free-port.mjs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { natsServerBin } from "./nats-server-bin.mjs";

const REPO = resolve(import.meta.dirname, "..");
const DOCKER = process.env.DOCKER ?? "docker";
const TOKEN = `image-check-token-${process.pid}`;
const SIGNING_SECRET = "whsec_aW1hZ2UtY2hlY2stc2lnbmluZy1zZWNyZXQ=";

const { values: options } = parseArgs({
  options: {
    image: { type: "string", default: "hookswitch:check" },
    build: { type: "boolean", default: true },
    "node-image": { type: "string" },
  },
  allowNegative: true,
});

const suffix = `${process.pid}`;
const names = {
  receiver: `hookswitch-check-receiver-${suffix}`,
  daemon: `hookswitch-check-${suffix}`,
};
const temp = mkdtempSync(join(tmpdir(), "hookswitch-image-check-"));
const results = [];
let nats;

function docker(args, { input, allowFailure = false } = {}) {
  const run = spawnSync(DOCKER, args, { encoding: "utf8", input, maxBuffer: 64 * 1024 * 1024 });
  if (run.error) throw new Error(`${DOCKER} could not run: ${run.error.message}`);
  if (run.status !== 0 && !allowFailure) {
    throw new Error(`${DOCKER} ${args.slice(0, 2).join(" ")} failed:\n${run.stderr.trim()}`);
  }
  return run;
}

function check(name, ok, detail = "") {
  results.push({ name, ok });
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${detail ? `: ${detail}` : ""}`);
}

/** Asks `test` every 250 ms until it gives a value, or undefined after `timeoutMs`. */
async function waitFor(test, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await test();
    if (value) return value;
    if (Date.now() > deadline) return undefined;
    await sleep(250);
  }
}

/** Whether something listens on 127.0.0.1:`port`. */
function accepts(port) {
  return new Promise((resolveAccepts) => {
    const socket = connect(port, "127.0.0.1");
    const end = (answer) => {
      socket.destroy();
      resolveAccepts(answer);
    };
    socket.once("connect", () => end(true));
    socket.once("error", () => end(false));
    socket.setTimeout(1_000, () => end(false));
  });
}

async function get(url) {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return { status: response.status, text: await response.text() };
  } catch {
    return undefined;
  }
}

function baseImage() {
  if (options["node-image"]) return options["node-image"];
  const match = /^ARG NODE_IMAGE=(\S+)$/m.exec(readFileSync(join(REPO, "Dockerfile"), "utf8"));
  if (!match) throw new Error("the Dockerfile declares no ARG NODE_IMAGE default");
  return match[1];
}

/** deploy/integrations.d, its receiver's address pointed at the port chosen here. */
function integrationsFor(receiverPort) {
  const dir = join(temp, "integrations.d");
  cpSync(join(REPO, "deploy/integrations.d"), dir, { recursive: true });
  for (const file of readdirSync(dir)) {
    const path = join(dir, file);
    writeFileSync(
      path,
      readFileSync(path, "utf8").replaceAll("receiver:8080", `receiver:${receiverPort}`),
    );
  }
  return dir;
}

async function startNats(port) {
  const bin = natsServerBin();
  if (!bin) throw new Error("no nats-server found: install it or set NATS_SERVER_BIN");
  nats = spawn(bin, ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", join(temp, "js")], {
    stdio: "ignore",
  });
  if (!(await waitFor(() => accepts(port), 10_000))) throw new Error("nats-server did not start");
}

async function run() {
  const node = baseImage();
  if (options.build) {
    console.log(`building ${options.image} on ${node} …`);
    docker([
      "build",
      "--network",
      "host",
      "--build-arg",
      `NODE_IMAGE=${node}`,
      "-t",
      options.image,
      REPO,
    ]);
  }
  const [natsPort, receiverPort, httpPort] = [await freePort(), await freePort(), await freePort()];
  await startNats(natsPort);
  const natsUrl = `nats://127.0.0.1:${natsPort}`;
  // prettier-ignore
  docker(["run", "-d", "--name", names.receiver, "--network", "host", "--user", "1000:1000",
    "-e", `PORT=${receiverPort}`, "-v", `${join(REPO, "deploy/receiver")}:/receiver:ro`,
    node, "node", "/receiver/server.mjs"]);
  // prettier-ignore
  docker(["run", "-d", "--name", names.daemon, "--network", "host",
    "--add-host", "receiver:127.0.0.1", "--read-only", "--tmpfs", "/tmp",
    "-e", `NATS_URL=${natsUrl}`, "-e", `HOOKSWITCH_HTTP_ADDR=0.0.0.0:${httpPort}`,
    "-e", "HOOKSWITCH_ALLOW_CIDRS=127.0.0.0/8", "-e", "HOOKSWITCH_GRACE_PERIOD=20s",
    "-e", `RECEIVER_TOKEN=${TOKEN}`, "-e", `RECEIVER_SIGNING_SECRET=${SIGNING_SECRET}`,
    "-v", `${integrationsFor(receiverPort)}:/etc/hookswitch/integrations.d:ro`, options.image]);

  const readyz = `http://127.0.0.1:${httpPort}/readyz`;
  const ready = await waitFor(async () => (await get(readyz))?.status === 200, 30_000);
  check("/readyz answers 200", !!ready);

  // prettier-ignore
  const emitted = docker(["run", "--rm", "--network", "host", "-e", `NATS_URL=${natsUrl}`,
    options.image, "emit", "user.created", "--extension", "201", "--account", "acme"]);
  const eventId = emitted.stdout.trim();
  const received = await waitFor(() => {
    const lines = docker(["logs", names.receiver])
      .stdout.split("\n")
      .filter((l) => l.startsWith("{"));
    const requests = lines.map((line) => JSON.parse(line));
    return requests.length >= 2 ? requests : undefined;
  }, 15_000);
  const paths = (received ?? []).map((r) => `${r.method} ${r.path}`).sort();
  check(
    "the emitted event reaches both integrations",
    paths.length === 2 &&
      paths[0] === "GET /hooks/query" &&
      paths[1].startsWith("POST /hooks/json/"),
    paths.join(", ") || "nothing received",
  );
  const json = (received ?? []).find((r) => r.method === "POST");
  check(
    "the JSON delivery is signed and carries the event's id",
    !!json?.signed && JSON.parse(json.body || "{}").eventId === eventId,
  );

  const health = await waitFor(() => {
    const status = docker([
      "inspect",
      "-f",
      "{{.State.Health.Status}}",
      names.daemon,
    ]).stdout.trim();
    return status === "starting" ? undefined : status;
  }, 60_000);
  check(
    "the image's HEALTHCHECK reports healthy",
    health === "healthy",
    health ?? "still starting",
  );

  const uid = docker(["exec", names.daemon, "id", "-u"]).stdout.trim();
  check("the daemon does not run as root", uid !== "" && uid !== "0", `uid ${uid}`);

  const stoppedAt = Date.now();
  docker(["stop", "-t", "60", names.daemon]);
  const seconds = ((Date.now() - stoppedAt) / 1000).toFixed(1);
  const exitCode = docker(["inspect", "-f", "{{.State.ExitCode}}", names.daemon]).stdout.trim();
  const logs = docker(["logs", names.daemon]);
  const logText = logs.stdout + logs.stderr;
  check(
    "docker stop ends it with exit code 0",
    exitCode === "0",
    `exit ${exitCode} after ${seconds} s`,
  );
  check(
    "its last log line is the end of the shutdown ladder",
    /"msg":"stopped"}\s*$/.test(logText),
  );
  const secretBody = SIGNING_SECRET.slice("whsec_".length);
  check("no secret in its logs", !logText.includes(TOKEN) && !logText.includes(secretBody));
}

function cleanUp() {
  docker(["rm", "-f", names.daemon, names.receiver], { allowFailure: true });
  nats?.kill("SIGINT");
  rmSync(temp, { recursive: true, force: true });
}

try {
  await run();
} catch (error) {
  check("the check ran to its end", false, error instanceof Error ? error.message : String(error));
} finally {
  cleanUp();
}
const failed = results.filter((r) => !r.ok).length;
console.log(
  `image-check: ${failed === 0 ? "PASS" : "FAIL"} (${results.length - failed} passed, ${failed} failed)`,
);
process.exitCode = failed === 0 ? 0 : 1;
