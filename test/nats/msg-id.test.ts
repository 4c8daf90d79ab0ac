import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { msgIdOf } from "../../src/nats/msg-id.js";

const sha256 = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex")}`;

describe("msgIdOf", () => {
  it.each([
    ["a UUID", "9b2f4c1e-5a77-4e0f-8d1b-2f8f2a0c6d10", "9b2f4c1e-5a77-4e0f-8d1b-2f8f2a0c6d10"],
    ["unicode", "évènement-😀", "évènement-😀"],
    // The bound is part of every id emit has published: a change would hash ids it kept.
    ["an id of 128 characters, the longest kept", "x".repeat(128), "x".repeat(128)],
    ["an id of 129 characters", "x".repeat(129), sha256("x".repeat(129))],
    ["CR and LF", "id\r\nNats-Expected-Stream: X", sha256("id\r\nNats-Expected-Stream: X")],
    ["a lone LF", "a\nb", sha256("a\nb")],
    ["a lone CR", "a\rb", sha256("a\rb")],
    ["white space the client would trim", " a", sha256(" a")],
  ])("keeps %s as %j", (_what, text, id) => {
    expect(msgIdOf(text)).toBe(id);
  });

  it("tells ids apart that differ only in a lone surrogate", () => {
    const ids = ["evt-\ud800", "evt-\udc00", "evt-\ufffd"].map(msgIdOf);
    expect(new Set(ids).size).toBe(3);
    expect(ids[0]).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});
