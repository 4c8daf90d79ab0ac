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
  ])("%s: warned %s", (_, file, target, warned) => {
    const warnings = editorSchemaWarnings(file, comment(target), exists);
    expect(warnings.map(({ line, column }) => `${line}:${column}`)).toEqual(warned ? ["1:33"] : []);
    for (const { message } of warnings) {
      expect(message).toContain(`points at ${target}, which does not exist`);
    }
  });

  it("says nothing of a file without one", () => {
    expect(editorSchemaWarnings("/repo/a.yaml", "name: a\n# $schema=nowhere\n", exists)).toEqual(
      [],
    );
  });
});
