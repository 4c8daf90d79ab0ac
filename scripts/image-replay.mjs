#!/usr/bin/env node
/**
 * Replays the container image's recipe without a container engine: interprets the
 * Dockerfile (WORKDIR, COPY, RUN, ARG, ENV, ENTRYPOINT, CMD, HEALTHCHECK) into temp folders that
 * stand for each stage's file system, starts the image's command with the image's
 * environment, checks /healthz (also while NATS is down), /readyz once NATS is up, the
 * HEALTHCHECK command itself, and a clean exit 0 on SIGTERM. Prints PASS or FAIL.
 *
 *   node scripts/image-replay.mjs          run the replay
 *   node scripts/image-replay.mjs --plan   print the parsed Dockerfile as JSON and exit
 *   node scripts/image-replay.mjs --keep   keep the temp folders for inspection
 *   --dockerfile PATH                      another Dockerfile (the build context stays the repo)
 *
 * The base image is not replicated: commands run with the node that runs this script. RUN
 * steps run on this machine in the stage's folder, except `mkdir -p` and `ln -s`, which are
 * applied inside the stage's folder; any other RUN that names an absolute path is refused.
 * A command name without a slash (ENTRYPOINT ["hookswitch"]) is looked up on the image's
 * PATH inside the image's folder, following its symlinks there, and must be executable.
 * NATS_SERVER_BIN names the nats-server binary (default: nats-server on PATH, or Debian's in /usr/sbin).
 */
import { spawn, spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { freePort } from "./free-port.mjs";
import { tmpdir } from "node:os";
import { basename, dirname, isAbsolute, join, posix, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { natsServerBin } from "./nats-server-bin.mjs";

const REPO = fileURLToPath(new URL("../", import.meta.url));
const STEP_TIMEOUT_MS = 30_000;
/** Docker's PATH when the image sets none (the official node images set none). */
const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// ---- Dockerfile parsing (pure) -------------------------------------------------------------

/** Joins continuation lines and drops comments: one entry per instruction. */
export function instructions(text) {
  const out = [];
  let pending = "";
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith("#") || line === "") continue;
    pending += (pending ? " " : "") + line.replace(/\\$/, "").trim();
    if (line.endsWith("\\")) continue;
    const [keyword = "", ...rest] = pending.split(/\s+/);
    out.push({ keyword: keyword.toUpperCase(), args: pending.slice(keyword.length).trim(), rest });
    pending = "";
  }
  return out;
}

function execForm(args) {
  return args.startsWith("[") ? JSON.parse(args) : ["/bin/sh", "-c", args];
}

function keyValues(args) {
  const pairs = {};
  for (const m of args.matchAll(/([A-Za-z_][\w.-]*)=("(?:[^"\\]|\\.)*"|\S+)/g)) {
    pairs[m[1]] = m[2].startsWith('"') ? JSON.parse(m[2]) : m[2];
  }
  return pairs;
}

function substitute(text, vars) {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a, b) => vars[a ?? b] ?? "");
}

/** The Dockerfile as stages of steps plus the final image's settings. */
export function parseDockerfile(text) {
  const args = {};
  const stages = [];
  for (const { keyword, args: rawArgs, rest } of instructions(text)) {
    const stage = stages.at(-1);
    if (keyword === "ARG" && !stage) Object.assign(args, keyValues(rawArgs));
    else if (keyword === "FROM") {
      const [image = "", as, name] = substitute(rawArgs, args).split(/\s+/);
      stages.push({ name: as?.toUpperCase() === "AS" ? name : String(stages.length), image });
      Object.assign(stages.at(-1), { steps: [], env: {}, args: {}, labels: {}, expose: [] });
    } else if (!stage) throw new Error(`Dockerfile: ${keyword} before the first FROM`);
    else applyInstruction(stage, keyword, rawArgs, rest);
  }
  const image = stages.at(-1);
  if (!image) throw new Error("Dockerfile: no FROM");
  return { stages, image };
}

function applyInstruction(stage, keyword, args, rest) {
  switch (keyword) {
    case "WORKDIR":
      return stage.steps.push({ keyword, value: args });
    case "RUN": // flags such as --mount=type=cache only speed up a real build
      return stage.steps.push({ keyword, value: execForm(args.replace(/^(--\S+\s+)+/, "")) });
    case "COPY": {
      const from = rest.find((r) => r.startsWith("--from="))?.slice("--from=".length);
      const paths = rest.filter((r) => !r.startsWith("--"));
      return stage.steps.push({ keyword, from, sources: paths.slice(0, -1), dest: paths.at(-1) });
    }
    case "ENV":
      return Object.assign(stage.env, keyValues(args));
    case "ARG": // a build argument: its default, as no --build-arg is given here
      return Object.assign(stage.args, keyValues(args));
    case "LABEL":
      return Object.assign(stage.labels, keyValues(args));
    case "EXPOSE":
      return stage.expose.push(...rest);
    case "USER":
    case "STOPSIGNAL":
      return (stage[keyword.toLowerCase()] = args);
    case "ENTRYPOINT":
    case "CMD":
      return (stage[keyword.toLowerCase()] = execForm(args));
    case "HEALTHCHECK": {
      const at = rest.indexOf("CMD");
      const options = keyValues(rest.slice(0, at).join(" ").replaceAll("--", ""));
      return (stage.healthcheck = {
        options,
        command: execForm(args.slice(args.indexOf("CMD") + 3).trim()),
      });
    }
    default:
      throw new Error(`image-replay does not know the Dockerfile instruction ${keyword}: teach it`);
  }
}

// ---- .dockerignore ------------------------------------------------------------------------

function globToRegExp(glob) {
  const body = glob
    .split("**")
    .map((part) =>
      part
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, "[^/]*")
        .replace(/\?/g, "[^/]"),
    )
    .join(".*");
  return new RegExp(`^${body}(/.*)?$`);
}

/** `(relativePath) => true` when the build context keeps the path. */
export function contextFilter(dockerignoreText) {
  const rules = dockerignoreText
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => ({
      keep: l.startsWith("!"),
      re: globToRegExp(posix.normalize(l.replace(/^!/, "").replace(/^\//, ""))),
    }));
  return (path) => {
    let kept = true;
    for (const rule of rules) if (rule.re.test(path)) kept = rule.keep;
    return kept;
  };
}

// ---- replay (IO) ----------------------------------------------------------------------------

const log = (text) => console.log(`image-replay: ${text}`);

function inRoot(root, path) {
  return join(root, path);
}

function copyStep(step, stage, roots, keep) {
  const fromRoot = step.from ? roots.get(step.from) : REPO;
  if (step.from && !fromRoot) throw new Error(`COPY --from=${step.from}: no such stage`);
  const destAbs = posix.resolve(stage.workdir, step.dest);
  const dest = inRoot(stage.root, destAbs);
  for (const source of step.sources) {
    const from = step.from ? inRoot(fromRoot, posix.resolve("/", source)) : resolve(REPO, source);
    if (!step.from && !keep(relative(REPO, from)))
      throw new Error(`COPY ${source}: excluded by .dockerignore`);
    if (!existsSync(from))
      throw new Error(`COPY ${source}: not found (a fresh clone must have it)`);
    const isDir = statSync(from).isDirectory();
    const target =
      !isDir && (step.dest.endsWith("/") || step.sources.length > 1)
        ? join(dest, basename(from))
        : dest;
    mkdirSync(isDir ? target : dirname(target), { recursive: true });
    const filter = step.from ? () => true : (src) => keep(relative(REPO, src) || ".");
    cpSync(from, target, { recursive: true, filter });
  }
}

/**
 * The RUN's commands as word lists when every one of them is a file-system command this
 * script applies inside the stage's folder (`mkdir -p DIR…`, `ln -s TARGET LINK`), else undefined.
 */
export function fileSystemCommands(value) {
  const [shell, flag, script] = value;
  const commands =
    value.length === 3 && shell === "/bin/sh" && flag === "-c"
      ? script.split("&&").map((c) => c.trim().split(/\s+/))
      : [value];
  const known = (words) =>
    (words[0] === "mkdir" && words[1] === "-p" && words.length > 2) ||
    (words[0] === "ln" && words[1] === "-s" && words.length === 4);
  const plain = (words) => words.every((w) => /^[\w./-]+$/.test(w));
  return commands.every((w) => known(w) && plain(w)) ? commands : undefined;
}

function applyFileSystem(commands, stage) {
  const at = (path) => inRoot(stage.root, posix.resolve(stage.workdir, path));
  for (const [cmd, , ...args] of commands) {
    if (cmd === "mkdir") for (const dir of args) mkdirSync(at(dir), { recursive: true });
    else {
      const [target, link] = args; // kept as written: an absolute target points into the image
      mkdirSync(dirname(at(link)), { recursive: true });
      symlinkSync(target, at(link));
    }
  }
}

function runStep(step, stage) {
  const [cmd = "", ...argv] = step.value;
  const cwd = inRoot(stage.root, stage.workdir);
  log(`[${stage.name}] RUN ${step.value.join(" ")}`);
  const fileSystem = fileSystemCommands(step.value);
  if (fileSystem) return applyFileSystem(fileSystem, stage);
  if (step.value.some((word) => /(^|[\s=])\//.test(word) && word !== "/bin/sh"))
    throw new Error(
      `RUN ${step.value.join(" ")}: names an absolute path, which would be this machine's: teach image-replay`,
    );
  const env = {
    ...process.env,
    ...stage.args,
    ...stage.env,
    npm_config_prefer_offline: "true",
    npm_config_update_notifier: "false",
  };
  const result = spawnSync(cmd, argv, {
    cwd,
    env,
    stdio: ["ignore", "inherit", "inherit"],
    timeout: 600_000,
  });
  if (result.status !== 0)
    throw new Error(`RUN ${step.value.join(" ")} failed (exit ${result.status})`);
}

function buildStages(plan, tempRoot) {
  const keep = contextFilter(
    existsSync(join(REPO, ".dockerignore"))
      ? readFileSync(join(REPO, ".dockerignore"), "utf8")
      : "",
  );
  const roots = new Map();
  for (const stage of plan.stages) {
    const state = { ...stage, root: join(tempRoot, `stage-${stage.name}`), workdir: "/" };
    mkdirSync(state.root, { recursive: true });
    for (const step of stage.steps) {
      if (step.keyword === "WORKDIR") {
        state.workdir = posix.resolve(state.workdir, step.value);
        mkdirSync(inRoot(state.root, state.workdir), { recursive: true });
      } else if (step.keyword === "COPY") copyStep(step, state, roots, keep);
      else runStep(step, state);
    }
    roots.set(stage.name, state.root);
    stage.replay = state;
  }
  return plan.image.replay;
}

/** An absolute path that exists inside the image root is mapped there; anything else stays. */
function mapPath(root, value) {
  return isAbsolute(value) && existsSync(inRoot(root, value)) ? inRoot(root, value) : value;
}

/** An image path's file inside the image's folder, its symlinks followed there. */
function resolveInImage(root, path, depth = 0) {
  const file = inRoot(root, path);
  if (depth > 20 || (!existsSync(file) && !isLink(file))) return undefined;
  if (!isLink(file)) return file;
  const target = readlinkSync(file);
  return resolveInImage(root, posix.resolve(posix.dirname(path), target), depth + 1);
}

function isLink(file) {
  try {
    return lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * The program to start for the image's argv[0]: `node` stands for this script's node; a
 * name without a slash is looked up on the image's PATH inside its folder, as the kernel
 * would exec it: it must be executable, and a `#!/usr/bin/env node` script runs with this node.
 */
function imageProgram(image, name) {
  if (name === "node") return [process.execPath];
  if (name.includes("/")) return [mapPath(image.root, name)];
  for (const dir of (image.env.PATH ?? DEFAULT_PATH).split(":")) {
    const file = resolveInImage(image.root, posix.join(dir, name));
    if (!file) continue;
    if ((statSync(file).mode & 0o111) === 0)
      throw new Error(`${posix.join(dir, name)} is in the image but not executable`);
    const firstLine = readFileSync(file, "utf8").split("\n", 1)[0];
    if (firstLine === "#!/usr/bin/env node") return [process.execPath, file];
    return [file];
  }
  throw new Error(`${name}: not found on the image's PATH`);
}

function imageCommand(image, argv) {
  const [name = "", ...rest] = argv;
  return [...imageProgram(image, name), ...rest.map((arg) => mapPath(image.root, arg))];
}

async function status(url) {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2_000) })).status;
  } catch {
    return 0;
  }
}

async function until(what, check, timeoutMs = STEP_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

function healthcheck(image, env) {
  const [cmd, ...argv] = imageCommand(image, image.healthcheck.command);
  return spawnSync(cmd, argv, { env, cwd: inRoot(image.root, image.workdir), timeout: 10_000 })
    .status;
}

function exitOf(child) {
  return new Promise((done) => child.once("exit", (code, signal) => done(signal ?? code)));
}

async function runImage(image, tempRoot) {
  const [httpPort, natsPort] = [await freePort(), await freePort()];
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(HOOKSWITCH_|NATS_|LOG_)/.test(k)),
  );
  const imageEnv = Object.fromEntries(
    Object.entries(image.env).map(([k, v]) => [k, mapPath(image.root, v)]),
  );
  const env = {
    ...inherited,
    ...imageEnv,
    HOOKSWITCH_HTTP_ADDR: `127.0.0.1:${httpPort}`,
    NATS_URL: `nats://127.0.0.1:${natsPort}`,
  };
  const base = `http://127.0.0.1:${httpPort}`;
  const [cmd, ...argv] = imageCommand(image, [...(image.entrypoint ?? []), ...(image.cmd ?? [])]);
  log(`start ${[cmd, ...argv].join(" ")} (HOOKSWITCH_DIR=${env.HOOKSWITCH_DIR})`);
  const daemon = spawn(cmd, argv, {
    cwd: inRoot(image.root, image.workdir),
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  daemon.stdout.on("data", (c) => (output += c));
  daemon.stderr.on("data", (c) => (output += c));
  const exited = exitOf(daemon);
  let nats;
  try {
    await until(
      "/healthz 200 while NATS is down",
      async () => (await status(`${base}/healthz`)) === 200,
    );
    log("PASS /healthz answers 200 while NATS is unreachable");
    const notReady = await status(`${base}/readyz`);
    if (notReady !== 503)
      throw new Error(`/readyz answered ${notReady} while NATS is down, expected 503`);
    log("PASS /readyz answers 503 while NATS is unreachable");
    if (healthcheck(image, env) !== 0)
      throw new Error("the HEALTHCHECK command failed on a live daemon");
    log("PASS the HEALTHCHECK command exits 0");
    nats = startNats(natsPort, tempRoot);
    await until(
      "/readyz 200 once NATS is up",
      async () => (await status(`${base}/readyz`)) === 200,
    );
    log("PASS /readyz answers 200 once NATS is reachable");
    if ((await status(`${base}/metrics`)) !== 200) throw new Error("/metrics did not answer 200");
    log("PASS /metrics answers 200");
    daemon.kill(image.stopsignal ?? "SIGTERM");
    const code = await Promise.race([
      exited,
      new Promise((r) => setTimeout(() => r("timeout"), STEP_TIMEOUT_MS)),
    ]);
    if (code !== 0)
      throw new Error(
        `after ${image.stopsignal ?? "SIGTERM"} the daemon ended with ${code}, expected 0`,
      );
    log(`PASS ${image.stopsignal ?? "SIGTERM"} stops the daemon with exit code 0`);
    if (healthcheck(image, env) === 0)
      throw new Error("the HEALTHCHECK command passed with no daemon running");
    log("PASS the HEALTHCHECK command fails once the daemon is gone");
  } catch (err) {
    console.error(`image-replay: daemon output:\n${output.slice(-4_000)}`);
    throw err;
  } finally {
    daemon.kill("SIGKILL");
    nats?.kill("SIGKILL");
  }
}

function startNats(port, tempRoot) {
  const bin = natsServerBin() ?? "nats-server";
  const store = join(tempRoot, "nats-store");
  const child = spawn(bin, ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", store], {
    stdio: "ignore",
  });
  child.once("error", (err) => log(`cannot start ${bin}: ${err.message} (set NATS_SERVER_BIN)`));
  return child;
}

function option(name) {
  const at = process.argv.indexOf(name);
  return at === -1 ? undefined : process.argv[at + 1];
}

async function main() {
  const tempRoot = mkdtempSync(join(tmpdir(), "hookswitch-image-replay-"));
  try {
    const dockerfile = resolve(option("--dockerfile") ?? join(REPO, "Dockerfile"));
    const plan = parseDockerfile(readFileSync(dockerfile, "utf8"));
    if (process.argv.includes("--plan")) return console.log(JSON.stringify(plan, null, 2));
    log(`base image ${plan.image.image} stands in as node ${process.version}`);
    await runImage(buildStages(plan, tempRoot), tempRoot);
    log("PASS");
  } catch (err) {
    log(`FAIL: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  } finally {
    if (process.argv.includes("--keep")) log(`kept ${tempRoot}`);
    else rmSync(tempRoot, { recursive: true, force: true });
  }
}

await main();
