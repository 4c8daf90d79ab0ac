import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { noteNoDaemon, noteNoneOf } from "../../../src/commands/dlq/notes.js";

/** What the notes write to stderr, kept from the test's own output. */
let written: string[];
beforeEach(() => {
  written = [];
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    written.push(String(chunk));
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe("dlq's notes beside an empty answer", () => {
  it("notes an --integration with no dead letters, and nothing for ids or --all", () => {
    noteNoneOf({ kind: "ids", ids: [1] }, "hookswitch");
    noteNoneOf({ kind: "all" }, "hookswitch");
    noteNoneOf({ kind: "integration", integration: "ticketing" }, "hookswitch");
    expect(written).toEqual([
      "note: integration ticketing has no dead letters in the deployment with --consumer " +
        "hookswitch; `hookswitch dlq list` without --integration shows those that have\n",
    ]);
  });

  it("shows control characters of the names given as �, not as escapes", () => {
    noteNoneOf({ kind: "integration", integration: "crm\u001b[2J" }, "hs\u009b1m");
    noteNoDaemon("hs\u0007");
    expect(written.join("")).toContain("integration crm\ufffd[2J has");
    expect(written.join("")).toContain("--consumer hs\ufffd1m;");
    expect(written.join("")).toContain("no daemon has run with --consumer hs\ufffd, so");
    // eslint-disable-next-line no-control-regex -- no control character may be left but \n
    expect(written.join("")).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  });
});
