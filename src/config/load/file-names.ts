/**
 * Which file names `run` loads, and, for a file it passes over, the rule that matched in
 * words: an editor's autosave needs other advice than a hidden file or a `.YAML` name.
 */

/** Names that are never integration files or folders: hidden entries and backups. */
export function isIgnoredName(name: string): boolean {
  return name.startsWith(".") || name.endsWith("~") || (name.startsWith("#") && name.endsWith("#"));
}

export function isYamlName(name: string): boolean {
  return name.endsWith(".yaml") || name.endsWith(".yml");
}

interface Reason {
  /** The rule, as "run …". */
  rule: string;
  /** What to do about it. */
  advice: string;
  /** Worth a warning when met in a folder: a file someone likely meant to be loaded. */
  meant: boolean;
  /** What an editor or a tool leaves beside a file: not checked even when named. */
  leftover?: boolean;
}

const LEAVE_IT = "nothing to change, or delete it";
const NOT_YAML = "run loads only names ending in .yaml or .yml";

/** What an editor or a tool leaves next to the file it writes: never meant to be loaded. */
const LEFTOVERS: Array<[RegExp, string]> = [
  [/___jb_(?:old|tmp)___$/, "an editor's temporary file"],
  [/\.(?:bak|orig|rej|swp|tmp)$/i, "a backup or temporary file"],
];

function reasonFor(name: string): Reason | undefined {
  if (name.startsWith("#") && name.endsWith("#")) {
    const rule = 'run skips editor autosave files (names starting and ending with "#")';
    const advice = `${LEAVE_IT} (the editor does once the file is saved)`;
    return { rule, advice, meant: false, leftover: true };
  }
  if (name.endsWith("~")) {
    return {
      rule: 'run skips editor backup files (names ending in "~")',
      advice: LEAVE_IT,
      meant: false,
      leftover: true,
    };
  }
  if (name.startsWith(".#")) {
    const rule =
      'run skips hidden files, and this is an editor\'s lock file (name starting with ".#")';
    return {
      rule,
      advice: `${LEAVE_IT} (the editor does once the file is saved)`,
      meant: false,
      leftover: true,
    };
  }
  // Before the hidden rule: vim's swap file is hidden (.x.yaml.swp) and a leftover all the same.
  if (!isYamlName(name)) {
    for (const [pattern, kind] of LEFTOVERS) {
      const suffix = pattern.exec(name)?.[0];
      if (suffix) {
        const rule = `${NOT_YAML}, and this is ${kind} (name ending in "${suffix}")`;
        return { rule, advice: LEAVE_IT, meant: false, leftover: true };
      }
    }
  }
  if (name.startsWith(".")) {
    const advice = 'to have it loaded, rename it without the leading "."';
    return { rule: 'run skips hidden files (names starting with ".")', advice, meant: false };
  }
  if (isYamlName(name)) return undefined;
  const json = /\.json$/i.exec(name)?.[0];
  if (json) {
    const renamed = `${name.slice(0, -json.length)}.yaml`;
    const rule = `run loads only YAML files, ending in .yaml or .yml, not ${json}`;
    return { rule, advice: `JSON is valid YAML: rename it to ${renamed}`, meant: true };
  }
  const otherCase = /\.ya?ml$/i.exec(name)?.[0];
  if (otherCase) {
    const renamed = name.slice(0, -otherCase.length) + otherCase.toLowerCase();
    return { rule: `${NOT_YAML}, in lower case`, advice: `rename it to ${renamed}`, meant: true };
  }
  return { rule: NOT_YAML, advice: "to have it loaded, rename it to end in .yaml", meant: false };
}

/**
 * The warning for a file `run` passes over in a folder, or undefined when it loads it or the
 * file is not worth one: only a file someone likely meant to be loaded (`.YAML`, `.json`),
 * not each backup and note.
 */
export function passedOver(name: string): string | undefined {
  const reason = reasonFor(name);
  if (!reason?.meant) return undefined;
  return `${reason.rule}: this file is not loaded; ${reason.advice}`;
}

/**
 * A file named on validate's command line. It is checked, with a warning when `run` would
 * pass over it, as someone asked for it (`validate crm.json`, `validate /dev/stdin`), unless
 * it is an editor's or a tool's leftover caught by `validate dir/*`: that one is not
 * checked, so that it claims no name a real file holds.
 */
export function namedFile(name: string): { check: boolean; warning: string | undefined } {
  const reason = reasonFor(name);
  if (!reason) return { check: true, warning: undefined };
  if (reason.leftover) {
    const warning = `${reason.rule}: this file is not loaded, so validate does not check it either; ${reason.advice}`;
    return { check: false, warning };
  }
  const warning = `${reason.rule}: run would not load this file, validate checks it anyway; ${reason.advice}`;
  return { check: true, warning };
}
