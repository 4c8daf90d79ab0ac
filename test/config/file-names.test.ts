import { describe, expect, it } from "vitest";
import { passedOver } from "../../src/config/file-names.js";

const NOT_CHECKED = "this file is not loaded, so validate does not check it either";

describe("passedOver names the rule a file name run passes over matched, with fitting advice", () => {
  it.each([
    [
      "#int-2.yaml#",
      `run skips editor autosave files (names starting and ending with "#"): ${NOT_CHECKED}; nothing to change, or delete it (the editor does once the file is saved)`,
    ],
    [
      "int-1.yaml~",
      `run skips editor backup files (names ending in "~"): ${NOT_CHECKED}; nothing to change, or delete it`,
    ],
    [
      "int-3.yaml___jb_old___",
      `run loads only names ending in .yaml or .yml, and this is an editor's temporary file (name ending in "___jb_old___"): ${NOT_CHECKED}; nothing to change, or delete it`,
    ],
    [
      "int.yaml.orig",
      `run loads only names ending in .yaml or .yml, and this is a backup or temporary file (name ending in ".orig"): ${NOT_CHECKED}; nothing to change, or delete it`,
    ],
    [
      ".int.yaml",
      `run skips hidden files (names starting with "."): ${NOT_CHECKED}; to have it loaded, rename it without the leading "."`,
    ],
    [
      "Int.YAML",
      `run loads only names ending in .yaml or .yml, in lower case: ${NOT_CHECKED}; rename it to Int.yaml`,
    ],
    [
      "notes.txt",
      `run loads only names ending in .yaml or .yml: ${NOT_CHECKED}; to have it loaded, rename it to end in .yaml`,
    ],
    [
      "crm.json",
      `run loads only YAML files, ending in .yaml or .yml, not .json: ${NOT_CHECKED}; JSON is valid YAML: rename it to crm.yaml`,
    ],
    ["int.yaml", undefined],
    ["int.yml", undefined],
  ])("named directly, %s", (name, message) => {
    expect(passedOver(name, "named")).toBe(message);
  });

  it.each([
    [
      "Int.Yml",
      "run loads only names ending in .yaml or .yml, in lower case: this file is not loaded; rename it to Int.yml",
    ],
    [
      "crm.JSON",
      "run loads only YAML files, ending in .yaml or .yml, not .JSON: this file is not loaded; JSON is valid YAML: rename it to crm.yaml",
    ],
    ["int.yaml.bak", undefined],
    ["notes.txt", undefined],
    ["int.yaml", undefined],
  ])("in a folder, %s: a warning only for a file meant to be loaded", (name, message) => {
    expect(passedOver(name, "in-folder")).toBe(message);
  });
});
