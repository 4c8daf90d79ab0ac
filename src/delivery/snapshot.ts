/**
 * What the delivery path reads for one configuration generation: the match index and,
 * by name, each integration with its renderer. Renderers are compiled on an integration's
 * first delivery and reused across generations while its object does not change: with
 * 10,000 integrations loaded, compiling them all up front held 40 MB of heap for
 * integrations that might never see an event.
 */
import type { Integration } from "../config/types.js";
import type { HeldBack } from "../config/watch/generation.js";
import { buildMatchIndex, type MatchIndex } from "../events/match.js";
import type { PbxEvent } from "../events/types.js";
import { compileRenderer, type Renderer } from "./render.js";
import type { Rendering } from "./types.js";

export interface ActiveIntegration {
  integration: Integration;
  render(event: PbxEvent, now: Date, id?: string): Rendering;
}

export interface ConfigSnapshot {
  index: MatchIndex;
  byName: Map<string, ActiveIntegration>;
  /**
   * Whether a name missing from `byName` may be an integration held back by a file with
   * problems (after a restart such a file has no last valid version to serve), rather than
   * one that was removed.
   */
  mayBeHeldBack: (name: string) => boolean;
}

const NONE_HELD_BACK: HeldBack = { any: false, names: new Set() };

const renderers = new WeakMap<Integration, Renderer>();

function rendererOf(integration: Integration): Renderer {
  let render = renderers.get(integration);
  if (!render) {
    render = compileRenderer(integration);
    renderers.set(integration, render);
  }
  return render;
}

class Active implements ActiveIntegration {
  #render: Renderer | undefined;

  constructor(readonly integration: Integration) {}

  render(event: PbxEvent, now: Date, id?: string): Rendering {
    this.#render ??= rendererOf(this.integration);
    return this.#render(event, now, id);
  }
}

export function buildSnapshot(
  integrations: readonly Integration[],
  heldBack: HeldBack = NONE_HELD_BACK,
): ConfigSnapshot {
  const byName = new Map<string, ActiveIntegration>();
  for (const integration of integrations) byName.set(integration.name, new Active(integration));
  return {
    index: buildMatchIndex([...integrations]),
    byName,
    mayBeHeldBack: (name) => heldBack.any || heldBack.names.has(name),
  };
}
