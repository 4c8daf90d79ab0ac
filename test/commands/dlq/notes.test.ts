import { describe, expect, it } from "vitest";
import { noteNoDaemon, noteNoneOf } from "../../../src/commands/dlq/notes.js";
import { useCapturedStderr } from "../../support/stderr.js";

const written = useCapturedStderr();

describe("dlq's notes beside an empty answer", () => {
  it("notes an --integration with no dead letters, and nothing for ids or --all", () => {
    noteNoneOf({ kind: "ids", ids: [1] }, "hookswitch");
    noteNoneOf({ kind: "all" }, "hookswitch");
    noteNoneOf({ kind: "integration", integration: "ticketing" }, "hookswitch");
    expect(written()).toEqual([
      "note: integration ticketing has no dead letters in the deployment with --consumer " +
        "hookswitch; `hookswitch dlq list` without --integration shows those that have\n",
    ]);
  });

  it("shows control characters of the names given as �, not as escapes", () => {
    noteNoneOf({ kind: "integration", integration: "crm\u001b[2J" }, "hs\u009b1m");
    noteNoDaemon("hs\u0007");
    const text = written().join("");
    expect(text).toContain("integration crm\ufffd[2J has");
    expect(text).toContain("--consumer hs\ufffd1m;");
    expect(text).toContain("no daemon has run with --consumer hs\ufffd, so");
    // eslint-disable-next-line no-control-regex -- no control character may be left but \n
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  });
});
