/**
 * Where each key of the integration schema goes (`retry` under `webhook`): a key written at
 * the wrong level is then told where it belongs, not only that it is unknown where it is.
 */
import { integrationSchema } from "./schema.js";
import type { PathSegment } from "../text.js";

interface SchemaNode {
  $ref?: string;
  properties?: Record<string, SchemaNode>;
}

type SchemaRoot = SchemaNode & { $defs?: Record<string, SchemaNode> };

let places: Map<string, string[]> | undefined;

/** The parents (dotted paths, "" for the top level) under which the schema knows `key`. */
export function placesOfKey(key: string): string[] {
  places ??= readPlaces(integrationSchema());
  return places.get(key) ?? [];
}

function readPlaces(root: SchemaRoot): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const walk = (node: SchemaNode | undefined, parent: string, depth: number): void => {
    if (!node || depth > 4) return;
    if (node.$ref) walk(root.$defs?.[node.$ref.replace("#/$defs/", "")], parent, depth + 1);
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      found.set(key, [...(found.get(key) ?? []), parent]);
      walk(child, parent ? `${parent}.${key}` : key, depth + 1);
    }
  };
  walk(root, "", 0);
  return found;
}

/**
 * `: it belongs under webhook` for a key the schema knows in one other place, and only
 * there; "" when it is known nowhere else or in several places.
 */
export function belongsElsewhere(key: string, path: readonly PathSegment[]): string {
  const here = path.join(".");
  const elsewhere = placesOfKey(key).filter((place) => place !== here);
  if (elsewhere.length !== 1) return "";
  const [place] = elsewhere;
  return place === "" ? ": it belongs at the top level" : `: it belongs under ${place}`;
}
