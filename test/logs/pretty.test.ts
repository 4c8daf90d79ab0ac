import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger.js";

/** A pretty logger writing into a string. */
function prettyLog() {
  let text = "";
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { log: createLogger({ format: "pretty", destination }), text: () => text };
}

describe("the pretty log format", () => {
  it("keeps a message with a line break or an escape sequence on its line, the fields exact", async () => {
    const { log, text } = prettyLog();
    const file = "/cfg/a\nINFO: forged.yaml";
    log.warn({ file }, `${file}:1:1: missing required key "scope" \u001b[2J`);
    log.info("next");
    await new Promise((resolve) => setImmediate(resolve));
    const lines = text().split("\n");
    expect(lines[0]).toMatch(
      /WARN.*: \/cfg\/a\ufffdINFO: forged\.yaml:1:1: missing required key "scope" \ufffd\[2J$/,
    );
    expect(lines[1]).toContain(`file: ${JSON.stringify(file)}`);
    expect(lines.filter((line) => line.startsWith("INFO: forged"))).toEqual([]);
    expect(lines[2]).toMatch(/INFO.*: next$/);
    expect(text()).not.toContain("\u001b[2J");
  });
});
