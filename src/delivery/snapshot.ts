/**
 * What the delivery path reads for one configuration generation: the match index and,
 * by name, each integration with its precompiled renderer. Built once per generation;
 * renderers are reused for integrations whose object did not change.
 */
import type { Integration } from "../config/types.js";
import { buildMatchIndex, type MatchIndex } from "../events/match.js";
import { compileRenderer } from "./render.js";

export type Renderer = ReturnType<typeof compileRenderer>;

export interface ActiveIntegration {
  integration: Integration;
  render: Renderer;
}

export interface ConfigSnapshot {
  index: MatchIndex;
  byName: Map<string, ActiveIntegration>;
}

const renderers = new WeakMap<Integration, Renderer>();

function rendererOf(integration: Integration): Renderer {
  let render = renderers.get(integration);
  if (!render) {
    render = compileRenderer(integration);
    renderers.set(integration, render);
  }
  return render;
}

export function buildSnapshot(integrations: readonly Integration[]): ConfigSnapshot {
  const byName = new Map<string, ActiveIntegration>();
  for (const integration of integrations) {
    byName.set(integration.name, { integration, render: rendererOf(integration) });
  }
  return { index: buildMatchIndex([...integrations]), byName };
}
