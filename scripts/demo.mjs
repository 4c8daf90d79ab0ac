// npm run demo: a throw-away NATS, the daemon on ./integrations.d, and a local receiver
// that prints every webhook it gets; then a few sample events. Ctrl-C stops everything.
// `--once` stops by itself after the first deliveries (used by the test suite).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { connect } from "node:net";
import { freePort } from "./free-port.mjs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { natsServerBin } from "./nats-server-bin.mjs";

const repo = fileURLToPath(new URL("..", import.meta.url));
const cli = join(repo, "dist", "cli.js");
const once = process.argv.includes("--once");
const RECEIVER_PORT = 8787; // the examples in integrations.d send to 127.0.0.1:8787
const children = [];
const cleanups = [];

const say = (text) => process.stdout.write(`\x1b[1m[demo]\x1b[0m ${text}\n`);

const natsServer = natsServerBin();
if (!natsServer) {
  say("nats-server is not installed. Install it, then run `npm run demo` again:");
  say("  Debian/Ubuntu: sudo apt-get install -y nats-server");
  say("  or a release binary from the NATS project (any 2.9 or later);");
  say("  NATS_SERVER_BIN=/path/to/nats-server names one that is not on the PATH");
  process.exit(1);
}

const portOpen = (port) =>
  new Promise((resolve) => {
    const c = connect(port, "127.0.0.1");
    c.once("connect", () => (c.destroy(), resolve(true)));
    c.once("error", () => resolve(false));
  });

async function waitUntil(check, what, ms = 15_000) {
  for (const until = Date.now() + ms; Date.now() < until;) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function start(name, command, args, options = {}) {
  // A process group of its own: Ctrl-C reaches the demo alone, which then stops each child
  // with one signal (a second one would make hookswitch stop at once, not gracefully).
  const child = spawn(command, args, {
    stdio: ["ignore", "inherit", "inherit"],
    detached: true,
    ...options,
  });
  children.push(child);
  child.on("exit", (code, signal) => {
    if (!stopping) say(`${name} exited (${signal ?? code})`);
  });
  return child;
}

const running = (child) => child.exitCode === null && child.signalCode === null;

let stopping = false;
async function stopAll(code = 0) {
  if (stopping) return;
  stopping = true;
  say("stopping…");
  for (const child of children.reverse()) {
    if (!running(child)) continue;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGINT");
    const timer = setTimeout(() => child.kill("SIGKILL"), 8_000);
    await exited;
    clearTimeout(timer);
  }
  for (const cleanup of cleanups) cleanup();
  process.exit(code);
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => void stopAll(0));
// Should the demo end any other way (a crash), its children do not outlive it.
process.on("exit", () => {
  for (const child of children.filter(running)) child.kill("SIGKILL");
});

let received = 0;
const receiver = createServer((req, res) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    received += 1;
    const h = req.headers;
    say(`\x1b[32mwebhook #${received}\x1b[0m ${req.method} ${req.url}`);
    for (const name of [
      "user-agent",
      "content-type",
      "authorization",
      "webhook-id",
      "webhook-timestamp",
      "webhook-signature",
      ...Object.keys(h).filter((name) => name.startsWith("x-")),
    ]) {
      if (h[name])
        say(`    ${name}: ${name === "authorization" ? h[name].split(" ")[0] + " ****" : h[name]}`);
    }
    if (body) say(`    ${body}`);
    res.writeHead(200, { "content-type": "text/plain" }).end("ok");
  });
});

try {
  await new Promise((resolve, reject) => {
    receiver.once("error", reject);
    receiver.listen(RECEIVER_PORT, "127.0.0.1", resolve);
  });
} catch (err) {
  say(
    `cannot listen on 127.0.0.1:${RECEIVER_PORT} (${err.code}): the examples send there. Free the port and retry.`,
  );
  process.exit(1);
}
cleanups.push(() => receiver.close());
say(`receiver listening on http://127.0.0.1:${RECEIVER_PORT}`);

const natsPort = await freePort();
const store = mkdtempSync(join(tmpdir(), "hookswitch-demo-"));
cleanups.push(() => rmSync(store, { recursive: true, force: true }));
start("nats-server", natsServer, ["-a", "127.0.0.1", "-p", String(natsPort), "-js", "-sd", store], {
  stdio: "ignore",
});
await waitUntil(() => portOpen(natsPort), "nats-server");
const natsUrl = `nats://127.0.0.1:${natsPort}`;
say(`nats-server (JetStream) on ${natsUrl}, store in a temp folder`);

const httpPort = await freePort();
const env = {
  ...process.env,
  NATS_URL: natsUrl,
  HOOKSWITCH_HTTP_ADDR: `127.0.0.1:${httpPort}`,
  // Demo secrets; in production these come from the environment or secret files.
  CRM_TOKEN: "demo-crm-token",
  CRM_SIGNING_SECRET: "whsec_ZGVtby1zaWduaW5nLXNlY3JldC0xMjM0NTY3ODk=",
  BILLING_PASSWORD: "demo-billing-password",
};
start(
  "hookswitch",
  process.execPath,
  [cli, "run", "--dir", join(repo, "integrations.d"), "--log-format", "pretty"],
  {
    env,
    cwd: repo,
  },
);
await waitUntil(
  async () => {
    try {
      const res = await fetch(`http://127.0.0.1:${httpPort}/readyz`);
      return res.ok;
    } catch {
      return false;
    }
  },
  "hookswitch to be ready",
  30_000,
);
say(
  `hookswitch is ready — status page: http://127.0.0.1:${httpPort}/  metrics: http://127.0.0.1:${httpPort}/metrics`,
);
say(
  "(its warning that stream PBX_EVENTS has no limit is meant for production: this demo's stream is thrown away at the end)",
);

// Not spawnSync: the receiver above runs in this process, and while a synchronous emit ran
// it could not answer, which showed in /metrics as attempts of a second or more.
const emit = (args) =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, "emit", ...args], {
      env,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let ids = "";
    child.stdout.on("data", (chunk) => (ids += chunk));
    child.on("close", () => resolve(ids.trim()));
  });
const samples = [
  [
    "user.created",
    "--account",
    "acme",
    "--extension",
    "201",
    "--name",
    "Alice Example",
    "--outbound-number",
    "+61290000000",
    "--voicemail",
    "true",
    "--calls",
    "Local,National,Mobile",
  ],
  [
    "user.modified",
    "--account",
    "acme",
    "--service",
    "3f0c6f8e-6a0b-4a39-9b1e-0d6f1f3f4a11",
    "--extension",
    "202",
    "--name",
    "Bob Example",
  ],
  ["user.deleted", "--account", "acme", "--extension", "203", "--name", "Carol Example"],
];
for (const args of samples) {
  say(`emitted ${args[0]} ${await emit(args)}`);
}

if (once) {
  await waitUntil(() => received > 0, "the first webhooks", 15_000).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 1_500));
  say(`${received} webhooks received`);
  await stopAll(received > 0 ? 0 : 1);
} else {
  say(
    "emit more with: NATS_URL=" +
      natsUrl +
      " npx hookswitch emit user.created --extension 204 --name 'Dan Example'",
  );
  say("press Ctrl-C to stop");
}
