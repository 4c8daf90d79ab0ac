/**
 * Whether two integration objects define the same integration: a file read again (a
 * ConfigMap swap, a rewrite that changed only comments) gives new objects for the same
 * definitions.
 */
import type { Integration } from "./types.js";

const fingerprints = new WeakMap<Integration, string>();

/** Identity of an integration's definition: everything but where in its file it starts. */
function fingerprint(i: Integration | undefined): string {
  if (i === undefined) return "";
  let known = fingerprints.get(i);
  if (known === undefined) {
    known = stableJson({ ...i, source: { file: i.source.file } });
    fingerprints.set(i, known);
  }
  return known;
}

/** Everything but where in its file each starts; undefined only equals undefined. */
export function sameDefinition(a: Integration | undefined, b: Integration | undefined): boolean {
  return a === b || fingerprint(a) === fingerprint(b);
}

/** JSON with every object's keys sorted: equal for equal values, whatever their key order. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    isRecord(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, v[k]]),
        )
      : v,
  );
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
