import { createHmac, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { HmacSha256, sign, signingKey } from "../../src/delivery/sign.js";

function independentSignature(secretBytes: Buffer, content: string): string {
  return `v1,${createHmac("sha256", secretBytes).update(Buffer.from(content, "utf8")).digest("base64")}`;
}

describe("sign", () => {
  it("reproduces the Standard Webhooks reference test vector", () => {
    // Fixed test of the upstream JavaScript library ("sign function works").
    const signature = sign(
      ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
      "msg_p5jXN8AQM9LWM0D4loKWxJek",
      1614265330,
      '{"test": 2432232314}',
    );
    expect(signature).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });

  it.each([
    ["a JSON body", '{"name":"Zoë ✓"}'],
    ["an empty body (query format)", ""],
    ["a form body", "a=1&b=%20"],
  ])("agrees with an independent HMAC over id.timestamp.body for %s", (_what, body) => {
    const bytes = randomBytes(32);
    const secret = `whsec_${bytes.toString("base64")}`;
    const expected = independentSignature(bytes, `msg_abc.1700000000.${body}`);
    expect(sign([secret], "msg_abc", 1700000000, body)).toBe(expected);
  });

  it("signs with every secret during rotation, space-separated, in order", () => {
    const [a, b] = [randomBytes(24), randomBytes(64)];
    const secrets = [`whsec_${a.toString("base64")}`, `whsec_${b.toString("base64")}`];
    const header = sign(secrets, "msg_1", 5, "{}");
    expect(header.split(" ")).toEqual([
      independentSignature(a, "msg_1.5.{}"),
      independentSignature(b, "msg_1.5.{}"),
    ]);
  });

  it("gives a different signature for a different timestamp, id or body", () => {
    const secrets = [`whsec_${randomBytes(32).toString("base64")}`];
    const base = sign(secrets, "msg_1", 5, "{}");
    expect(sign(secrets, "msg_1", 6, "{}")).not.toBe(base);
    expect(sign(secrets, "msg_2", 5, "{}")).not.toBe(base);
    expect(sign(secrets, "msg_1", 5, "{ }")).not.toBe(base);
  });

  it("decodes the part after whsec_, and accepts a secret without the prefix", () => {
    const bytes = randomBytes(32);
    expect(signingKey(`whsec_${bytes.toString("base64")}`)).toEqual(bytes);
    expect(signingKey(bytes.toString("base64"))).toEqual(bytes);
  });
});

describe("HmacSha256", () => {
  const reference = (key: Buffer, content: string) =>
    createHmac("sha256", key).update(content, "utf8").digest("base64");

  // RFC 2104 pads a key to SHA-256's 64-byte block, and hashes a longer one first.
  it.each([0, 1, 24, 32, 63, 64, 65, 100, 300])(
    "agrees with createHmac for a %i-byte key",
    (keyBytes) => {
      const key = randomBytes(keyBytes);
      const hmac = new HmacSha256(key);
      expect(hmac.base64("msg_1.5.", '{"a":1}')).toBe(reference(key, 'msg_1.5.{"a":1}'));
    },
  );

  it.each([
    ["empty content", "", ""],
    ["text only in the head", "msg_1.5.", ""],
    ["multi-byte characters", "msg_é.5.", '{"name":"Zoë ✓ 📞"}'],
    ["a lone surrogate (sent as U+FFFD)", "msg_1.5.", "a\ud800b"],
    // Three UTF-8 bytes for one UTF-16 unit: the most a unit takes, what room is made for.
    ["three-byte characters past the first scratch space", "msg_1.5.", "李".repeat(1_400)],
    ["three-byte characters within the kept scratch space", "msg_1.5.", "李".repeat(5_000)],
    ["a body longer than the kept scratch space", "msg_1.5.", "ü".repeat(40_000)],
  ])("agrees with createHmac over head and tail for %s", (_what, head, tail) => {
    const key = randomBytes(32);
    expect(new HmacSha256(key).base64(head, tail)).toBe(reference(key, head + tail));
  });

  it("gives each key its own signature when keys take turns, long content between", () => {
    const [a, b] = [randomBytes(24), randomBytes(64)];
    const [hmacA, hmacB] = [new HmacSha256(a), new HmacSha256(b)];
    const long = "x".repeat(100_000);
    expect(hmacA.base64("1.", "short")).toBe(reference(a, "1.short"));
    expect(hmacB.base64("2.", long)).toBe(reference(b, `2.${long}`));
    expect(hmacA.base64("3.", "é")).toBe(reference(a, "3.é"));
    expect(hmacB.base64("4.", "{}")).toBe(reference(b, "4.{}"));
  });
});
