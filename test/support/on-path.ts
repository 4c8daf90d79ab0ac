/** Whether a program the tests use beside hookswitch is here, for `describe.skipIf`. */
import { spawnSync } from "node:child_process";

/** True when `command args` runs and exits 0 (`openssl version`, `promtool --version`). */
export function runsHere(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: "ignore" }).status === 0;
}
