import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const pkg = require("../package.json") as { version: string };

/** The package's version, sent as `User-Agent: hookswitch/<version>`. */
export const VERSION: string = pkg.version;
export const USER_AGENT = `hookswitch/${VERSION}`;

/**
 * The source revision this build was made from (scripts/build-info.mjs writes it beside the
 * compiled code), or "unknown": builds of one version are told apart by it.
 */
export const REVISION: string = readRevision() ?? "unknown";

/** The version and the revision's first 12 characters, as the status page's header shows them. */
export const BUILD_NAME = `${VERSION} (${REVISION.slice(0, 12)})`;

function readRevision(): string | undefined {
  try {
    const info = JSON.parse(
      readFileSync(new URL("./build-info.json", import.meta.url), "utf8"),
    ) as {
      revision?: unknown;
    };
    return typeof info.revision === "string" ? info.revision : undefined;
  } catch {
    return undefined; // not built (run from the sources), or built without it
  }
}
