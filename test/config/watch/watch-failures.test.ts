import { describe, expect, it } from "vitest";
import { watchFailureHandler } from "../../../src/config/watch/watch-failures.js";
import { capturingLogger } from "../../support/logs.js";

const DIR = "/srv/integrations";

function failure(code: string, path?: string): Error {
  return Object.assign(new Error(`${code}: watch failed`), { code, path });
}

/** Feeds the errors to one handler; returns its log lines (level, message) and the polls. */
function handle(errors: Error[]) {
  const { log, lines } = capturingLogger();
  const polls: number[] = [];
  const onError = watchFailureHandler(DIR, log, (everyMs) => polls.push(everyMs));
  for (const error of errors) onError(error);
  return { logged: lines.map((l) => [l.level, l.msg]), polls };
}

describe("watchFailureHandler", () => {
  it.each([
    {
      what: "a folder without rights: warned of once per folder, never polled",
      errors: [failure("EACCES", `${DIR}/a`), failure("EPERM", `${DIR}/a`), failure("EACCES")],
      logged: [
        [
          "warn",
          `${DIR}/a cannot be watched (EACCES): changes in it are applied by the periodic resync once it can be read`,
        ],
        [
          "warn",
          `${DIR} cannot be watched (EACCES): changes in it are applied by the periodic resync once it can be read`,
        ],
      ],
      polls: [],
    },
    {
      what: "out of watches: polls once, whichever of the codes comes again",
      errors: [failure("ENOSPC"), failure("EMFILE"), failure("ENFILE")],
      logged: [
        ["error", "watching the integrations folder failed"],
        ["warn", "file watches unavailable (ENOSPC): rescanning every 1000 ms instead"],
        ["error", "watching the integrations folder failed"],
        ["error", "watching the integrations folder failed"],
      ],
      polls: [1000],
    },
    ...["EMFILE", "ENFILE"].map((code) => ({
      what: `out of watches, ${code} alone: polls`,
      errors: [failure(code)],
      logged: [
        ["error", "watching the integrations folder failed"],
        ["warn", `file watches unavailable (${code}): rescanning every 1000 ms instead`],
      ],
      polls: [1000],
    })),
    {
      what: "any other failure: logged, not polled",
      errors: [failure("EINVAL"), new Error("no code")],
      logged: [
        ["error", "watching the integrations folder failed"],
        ["error", "watching the integrations folder failed"],
      ],
      polls: [],
    },
  ])("$what", ({ errors, logged, polls }) => {
    expect(handle(errors)).toEqual({ logged, polls });
  });
});
