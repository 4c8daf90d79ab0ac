import { createHmac, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { sign, signingKey } from "../../src/delivery/sign.js";

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
