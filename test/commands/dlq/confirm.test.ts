import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { confirmed } from "../../../src/commands/dlq/confirm.js";

/** A terminal's two ends (or a pipe's, with `tty` false), the answer typed in advance. */
function terminal(tty: boolean, typed: string) {
  const input = Object.assign(new PassThrough(), { isTTY: tty });
  const output = Object.assign(new PassThrough(), { isTTY: tty });
  let shown = "";
  output.on("data", (chunk: Buffer) => (shown += chunk.toString()));
  input.end(typed);
  return { terminal: { input, output }, shown: () => shown };
}

describe("confirmed: the question dlq purge asks at a terminal", () => {
  it.each([
    ["y\n", true],
    ["yes\n", true],
    ["Y\n", true],
    ["  Yes \n", true],
    ["n\n", false],
    ["\n", false],
    ["yep\n", false],
  ])("takes %j as %s", async (typed, answer) => {
    const { terminal: term, shown } = terminal(true, typed);
    expect(
      await confirmed("remove all 3 dead letters of --consumer hookswitch, for good?", term),
    ).toBe(answer);
    expect(shown()).toContain(
      "remove all 3 dead letters of --consumer hookswitch, for good? [y/N] ",
    );
  });

  it("asks a person typing at a terminal whose output goes to a pipe, on the terminal", async () => {
    const input = Object.assign(new PassThrough(), { isTTY: true });
    const output = Object.assign(new PassThrough(), { isTTY: false });
    const tty = new PassThrough();
    let piped = "";
    let asked = "";
    output.on("data", (chunk: Buffer) => (piped += chunk.toString()));
    tty.on("data", (chunk: Buffer) => (asked += chunk.toString()));
    input.end("n\n");
    const answer = await confirmed("remove?", {
      input,
      output,
      openQuestionTerminal: () => tty,
    });
    expect(answer).toBe(false);
    expect(asked).toContain("remove? [y/N] ");
    expect(piped).toBe("");
    expect(tty.destroyed).toBe(true);
  });

  it("asks at the output when it is a terminal, opening no other", async () => {
    const { terminal: term, shown } = terminal(true, "y\n");
    let opened = 0;
    const answer = await confirmed("remove?", {
      ...term,
      openQuestionTerminal: () => {
        opened++;
        return new PassThrough();
      },
    });
    expect(answer).toBe(true);
    expect(shown()).toContain("remove? [y/N] ");
    expect(opened).toBe(0);
  });

  it("asks at the output when no terminal can be opened for the question", async () => {
    const input = Object.assign(new PassThrough(), { isTTY: true });
    const output = Object.assign(new PassThrough(), { isTTY: false });
    let shown = "";
    output.on("data", (chunk: Buffer) => (shown += chunk.toString()));
    input.end("y\n");
    const answer = await confirmed("remove?", {
      input,
      output,
      openQuestionTerminal: () => undefined,
    });
    expect(answer).toBe(true);
    expect(shown).toContain("remove? [y/N] ");
  });

  it("asks nothing when its input is no terminal: a script chose what to remove", async () => {
    const { terminal: term, shown } = terminal(false, "");
    expect(await confirmed("remove?", term)).toBe(true);
    expect(shown()).toBe("");
  });
});
