import { describe, expect, it } from "vitest";
import { namedFile, passedOver } from "../../../src/config/load/file-names.js";

const NOT_CHECKED = "this file is not loaded, so validate does not check it either";
const CHECKED = "run would not load this file, validate checks it anyway";

describe("the rule a file name run passes over matched, with fitting advice", () => {
  it.each<[string, string | undefined, boolean]>([
    [
      "#int-2.yaml#",
      `run skips editor autosave files (names starting and ending with "#"): ${NOT_CHECKED}; nothing to change, or delete it (the editor does once the file is saved)`,
      false,
    ],
    [
      "int-1.yaml~",
      `run skips editor backup files (names ending in "~"): ${NOT_CHECKED}; nothing to change, or delete it`,
      false,
    ],
    [
      "int-3.yaml___jb_old___",
      `run loads only names ending in .yaml or .yml, and this is an editor's temporary file (name ending in "___jb_old___"): ${NOT_CHECKED}; nothing to change, or delete it`,
      false,
    ],
    [
      "int.yaml.orig",
      `run loads only names ending in .yaml or .yml, and this is a backup or temporary file (name ending in ".orig"): ${NOT_CHECKED}; nothing to change, or delete it`,
      false,
    ],
    [
      "INT.YAML.BAK",
      `run loads only names ending in .yaml or .yml, and this is a backup or temporary file (name ending in ".BAK"): ${NOT_CHECKED}; nothing to change, or delete it`,
      false,
    ],
    [
      ".int.yaml",
      `run skips hidden files (names starting with "."): ${CHECKED}; to have it loaded, rename it without the leading "."`,
      true,
    ],
    [
      "Int.YAML",
      `run loads only names ending in .yaml or .yml, in lower case: ${CHECKED}; rename it to Int.yaml`,
      true,
    ],
    [
      "notes.txt",
      `run loads only names ending in .yaml or .yml: ${CHECKED}; to have it loaded, rename it to end in .yaml`,
      true,
    ],
    [
      "crm.json",
      `run loads only YAML files, ending in .yaml or .yml, not .json: ${CHECKED}; JSON is valid YAML: rename it to crm.yaml`,
      true,
    ],
    [
      ".int.yaml.swp",
      `run loads only names ending in .yaml or .yml, and this is a backup or temporary file (name ending in ".swp"): ${NOT_CHECKED}; nothing to change, or delete it`,
      false,
    ],
    [
      ".#int.yaml",
      `run skips hidden files, and this is an editor's lock file (name starting with ".#"): ${NOT_CHECKED}; nothing to change, or delete it (the editor does once the file is saved)`,
      false,
    ],
    [
      "int.yaml___jb_tmp___",
      `run loads only names ending in .yaml or .yml, and this is an editor's temporary file (name ending in "___jb_tmp___"): ${NOT_CHECKED}; nothing to change, or delete it`,
      false,
    ],
    [
      "int.yaml.tmp",
      `run loads only names ending in .yaml or .yml, and this is a backup or temporary file (name ending in ".tmp"): ${NOT_CHECKED}; nothing to change, or delete it`,
      false,
    ],
    ["#int.yaml", undefined, true],
    ["int.yaml", undefined, true],
    ["int.yml", undefined, true],
  ])("named directly, %s: checked unless a leftover", (name, warning, check) => {
    expect(namedFile(name)).toEqual({ check, warning });
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
    ["int.yaml~", undefined],
    [".int.yaml", undefined],
    ["notes.txt", undefined],
    ["int.yaml", undefined],
  ])("in a folder, %s: a warning only for a file meant to be loaded", (name, message) => {
    expect(passedOver(name)).toBe(message);
  });
});
