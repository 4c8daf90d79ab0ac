import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO, runCli } from "../support/cli.js";

describe("hookswitch schema", () => {
  it("prints the integration schema by default", async () => {
    const result = await runCli(["schema"]);
    expect(result.code).toBe(0);
    const schema = JSON.parse(result.stdout) as { $id: string; $schema: string };
    expect(schema.$id).toBe("https://hookswitch.dev/schemas/integration.schema.json");
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
  });

  it("prints the event schema file as shipped", async () => {
    const file = join(REPO, "schemas/pbx-event.schema.json");
    const result = await runCli(["schema", "event"]);
    if (!existsSync(file)) return expect(result.code).toBe(1);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(JSON.parse(readFileSync(file, "utf8")));
  });

  it("exits 2 for an unknown schema name", async () => {
    const result = await runCli(["schema", "nope"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown schema "nope"');
  });
});
