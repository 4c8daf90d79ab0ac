// Which nats-server to start: NATS_SERVER_BIN, else nats-server on the PATH, else where
// Debian's package puts it (/usr/sbin, which an ordinary user's PATH often leaves out).
// Shared by the demo, the benchmarks, the soak and replay scripts, and the tests.
import { spawnSync } from "node:child_process";

const CANDIDATES = ["nats-server", "/usr/sbin/nats-server"];
let found;

/** The command to run, or undefined when none of the candidates runs. */
export function natsServerBin() {
  if (process.env.NATS_SERVER_BIN) return process.env.NATS_SERVER_BIN;
  found ??= CANDIDATES.find((bin) => !spawnSync(bin, ["--version"]).error) ?? null;
  return found ?? undefined;
}
