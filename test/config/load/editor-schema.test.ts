import { describe, expect, it } from "vitest";
import { editorSchemaWarnings } from "../../../src/config/load/editor-schema.js";

describe("the editor's schema comment", () => {
  const existing = new Set(["/repo/schemas/integration.schema.json"]);
  const exists = (path: string) => existing.has(path);
  const comment = (target: string) => `# yaml-language-server: $schema=${target}\nname: a\n`;

  it.each<[string, string, string, boolean]>([
    [
      "a file one level down, one ../",
      "/repo/integrations.d/a.yaml",
      "../schemas/integration.schema.json",
      false,
    ],
    [
      "a file two levels down, two ../",
      "/repo/integrations.d/crm/a.yaml",
      "../../schemas/integration.schema.json",
      false,
    ],
    [
      "a file copied a level down, one ../ too few",
      "/repo/integrations.d/crm/a.yaml",
      "../schemas/integration.schema.json",
      true,
    ],
    [
      "a misspelt schema file",
      "/repo/integrations.d/a.yaml",
      "../schemas/integrations.schema.json",
      true,
    ],
    [
      "a URL, the editor's to fetch",
      "/repo/integrations.d/a.yaml",
      "https://example.com/integration.schema.json",
      false,
    ],
    [
      "a URL in upper case, the editor's too",
      "/repo/integrations.d/a.yaml",
      "HTTPS://example.com/integration.schema.json",
      false,
    ],
    [
      "a URL whose scheme holds + and -",
      "/repo/integrations.d/a.yaml",
      "git+vscode-x.y://repo/integration.schema.json",
      false,
    ],
  ])("%s: warned %s", (_, file, target, warned) => {
    const warnings = editorSchemaWarnings(file, comment(target), exists);
    expect(warnings.map(({ line, column }) => `${line}:${column}`)).toEqual(warned ? ["1:33"] : []);
    for (const { message } of warnings) {
      expect(message).toContain(`points at ${target}, which does not exist`);
    }
  });

  it.each([
    ["# yaml-language-server: $schema=", 33],
    ["  #   yaml-language-server:   $schema=", 39],
    ["#yaml-language-server:$schema=", 31],
  ])("reads the comment written as %j, spaces or none", (prefix, column) => {
    const text = `name: a\n${prefix}../nowhere.json\n`;
    const warnings = editorSchemaWarnings("/repo/integrations.d/a.yaml", text, exists);
    expect(warnings.map((w) => `${w.line}:${w.column}`)).toEqual([`2:${column}`]);
  });

  it("says nothing of a file without one", () => {
    expect(editorSchemaWarnings("/repo/a.yaml", "name: a\n# $schema=nowhere\n", exists)).toEqual(
      [],
    );
  });
});
