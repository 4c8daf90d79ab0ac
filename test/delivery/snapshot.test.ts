import { describe, expect, it } from "vitest";
import { renderRequest } from "../../src/delivery/render.js";
import { buildSnapshot } from "../../src/delivery/snapshot.js";
import { makeEvent, makeIntegration, requestOf } from "../support/integration.js";

const now = new Date("2026-11-28T17:00:05.900Z");

describe("a configuration snapshot", () => {
  it("renders each integration's request exactly as the renderer does, on first use", () => {
    const crm = makeIntegration({ name: "crm", webhook: { pathArguments: ["{serviceUuid}"] } });
    const billing = makeIntegration({ name: "billing", webhook: { format: "form" } });
    const snapshot = buildSnapshot([crm, billing]);
    for (const integration of [crm, billing]) {
      const active = snapshot.byName.get(integration.name)!;
      expect(active.integration).toBe(integration);
      expect(active.render(makeEvent(), now)).toEqual(renderRequest(integration, makeEvent(), now));
    }
  });

  it("keeps rendering an unchanged integration the same in the next generation", () => {
    const crm = makeIntegration();
    const first = buildSnapshot([crm]).byName.get("crm")!;
    const next = buildSnapshot([crm]).byName.get("crm")!;
    const rendered = requestOf(first.render(makeEvent(), now, "msg_fixed"));
    expect(next.render(makeEvent(), now, "msg_fixed")).toEqual(rendered);
    expect(rendered.headers["webhook-id"]).toBe("msg_fixed");
  });

  it("compiles nothing until an integration's first delivery", () => {
    // Validation refuses such a URL; here it shows when compiling happens.
    const broken = makeIntegration({ name: "broken", webhook: { url: "not a url" } });
    const snapshot = buildSnapshot([broken, makeIntegration()]);
    expect(snapshot.byName.size).toBe(2);
    expect(() => snapshot.byName.get("broken")!.render(makeEvent(), now)).toThrow(/Invalid URL/);
  });
});
