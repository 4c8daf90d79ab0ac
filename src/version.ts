import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const pkg = require("../package.json") as { version: string };

/** The package's version, sent as `User-Agent: hookswitch/<version>`. */
export const VERSION: string = pkg.version;
export const USER_AGENT = `hookswitch/${VERSION}`;
