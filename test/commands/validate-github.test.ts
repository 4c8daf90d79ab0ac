import { describe, expect, it } from "vitest";
import { githubLine } from "../../src/commands/validate.js";
import type { Problem } from "../../src/config/types.js";

const at = (file: string, message: string): Problem => ({ file, line: 3, column: 7, message });

describe("validate --format github writes each problem as one workflow command", () => {
  it.each<[string, Problem, boolean, string]>([
    ["an error", at("a.yaml", "bad"), false, "::error file=a.yaml,line=3,col=7::bad"],
    ["a warning", at("a.yaml", "odd"), true, "::warning file=a.yaml,line=3,col=7::odd"],
    [
      "a file name with the property separators , and :",
      at("x,y:z.yaml", "bad"),
      false,
      "::error file=x%2Cy%3Az.yaml,line=3,col=7::bad",
    ],
    [
      "a message with : and , kept as written (only properties escape them)",
      at("a.yaml", "webhook.url: a, b"),
      false,
      "::error file=a.yaml,line=3,col=7::webhook.url: a, b",
    ],
    [
      "a % escaped first, so that a written %0A stays text",
      at("100%.yaml", "50% off: %0A"),
      false,
      "::error file=100%25.yaml,line=3,col=7::50%25 off: %250A",
    ],
    [
      "line breaks, CR and LF, encoded as GitHub reads them back",
      at("a\r\nb.yaml", "one\r\ntwo\nthree"),
      false,
      "::error file=a%0D%0Ab.yaml,line=3,col=7::one%0D%0Atwo%0Athree",
    ],
    [
      "another control character shown as U+FFFD",
      at("a.yaml", "bell\u0007"),
      false,
      "::error file=a.yaml,line=3,col=7::bell\uFFFD",
    ],
  ])("%s", (_what, problem, warning, line) => {
    expect(githubLine(problem, warning)).toBe(line);
  });
});
