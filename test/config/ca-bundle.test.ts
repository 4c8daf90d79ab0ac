import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { caBundleProblem } from "../../src/config/ca-bundle.js";

const cert = readFileSync(new URL("../fixtures/tls/test-ca.pem", import.meta.url), "utf8");
const body = cert.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").trim();
const mangled = cert.replace(body.slice(8, 40), "A".repeat(32));

describe("caBundleProblem", () => {
  it.each([
    ["one certificate", cert],
    ["a bundle of two, with text between", `# private CA\n${cert}\nsubject=x\n${cert}`],
    ["CRLF line ends", cert.replaceAll("\n", "\r\n")],
  ])("accepts %s", (_, text) => {
    expect(caBundleProblem(text)).toBeUndefined();
  });

  it.each([
    ["plain text", "hello\n", /^holds no PEM certificate/],
    [
      "a private key only",
      "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
      /^holds no PEM certificate/,
    ],
    [
      "a certificate of bad bytes",
      mangled,
      /^its certificate cannot be read \(.+\); export it again as PEM$/,
    ],
    ["a block cut short", cert.slice(0, 200), /^its certificate has no END line$/],
    ["a bundle whose second is bad", `${cert}${mangled}`, /^certificate 2 of 2 cannot be read/],
  ])("refuses %s", (_, text, message) => {
    expect(caBundleProblem(text)).toMatch(message);
  });
});
