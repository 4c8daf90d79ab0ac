/** The alert rules docs/operating.md shows ("Alerts"), and whether promtool is here to run them. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { REPO } from "./cli.js";
import { runsHere } from "./on-path.js";

/** The rule groups of the documented block, as YAML text and as data. */
export function documentedAlertRules(): { text: string; groups: unknown[] } {
  const operating = readFileSync(join(REPO, "docs/operating.md"), "utf8");
  const text = [...operating.matchAll(/```yaml\n([\s\S]*?)```/g)]
    .map((m) => m[1]!)
    .find((block) => block.includes("groups:"));
  if (text === undefined) throw new Error("docs/operating.md shows no block of alert rules");
  const groups = (parseAllDocuments(text)[0]!.toJS() as { groups: unknown[] }).groups;
  return { text, groups };
}

export const hasPromtool = runsHere("promtool", ["--version"]);
