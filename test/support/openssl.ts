/** Whether the `openssl` command is here: the tests that make certificates need it. */
import { execFileSync } from "node:child_process";

export const hasOpenssl = (() => {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();
