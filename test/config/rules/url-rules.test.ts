import { describe, expect, it } from "vitest";
import {
  deniedAddress,
  strayPercent,
  writtenFragment,
} from "../../../src/config/rules/url-rules.js";
import { makeRawIntegration } from "../../support/integration.js";

describe("writtenFragment: a # written into the URL, whose rest is never sent", () => {
  it.each<[string, boolean]>([
    ["https://crm.example/api/x?a=1#frag", true],
    ["https://crm.example/api/#/hooks", true],
    ["https://crm.example/api/x#", true],
    ["https://crm.example/api/x?a=%23", false],
    ["https://crm.example/api/x", false],
    // A # a secret brings is judged once it is resolved (httpUrl); a URL all from one may have one.
    ["https://crm.example/api/x?key=${env:CRM_KEY}", false],
    ["${env:CRM_URL}", false],
    ["https://crm.example/${env:A}#${env:B}", true],
  ])("%j warns: %j", (url, warns) => {
    const found = writtenFragment(makeRawIntegration({ url }));
    expect(found.map((w) => w.path)).toEqual(warns ? [["webhook", "url"]] : []);
    for (const { message } of found) {
      expect(message).toMatch(
        /^webhook\.url: what follows its # is a fragment, which is not sent; write # as %23/,
      );
    }
  });
});

describe("strayPercent: a % written into the URL that escapes nothing", () => {
  it.each<[string, boolean]>([
    ["https://crm.example/api/x?y=%zz", true],
    ["https://crm.example/100%/x", true],
    ["https://crm.example/api/x?y=%4", true],
    ["https://crm.example/api/x?y=%41%2f%2F", false],
    ["https://crm.example/api/x", false],
    // A secret's % is its own: what a reference brings is not judged here.
    ["https://crm.example/api/x?key=${env:CRM_KEY}", false],
    ["https://crm.example/api/${env:A}?b=%", true],
  ])("%j warns: %j", (url, warns) => {
    const found = strayPercent(makeRawIntegration({ url }));
    expect(found.map((w) => w.message)).toEqual(
      warns
        ? [
            "webhook.url: a % in it is not followed by two hexadecimal digits, and is sent as written, which receivers may refuse or read otherwise: write a % meant as text as %25",
          ]
        : [],
    );
  });
});

describe("deniedAddress: an address written into the URL that the daemon always refuses", () => {
  it.each<[string, string | undefined]>([
    [
      "http://169.254.169.254/latest/meta-data",
      "169.254.169.254 is refused by the daemon's egress policy (link-local)",
    ],
    ["http://[fe80::1]/", "[fe80::1] is refused by the daemon's egress policy (link-local)"],
    [
      "http://0.0.0.0:8080/",
      "0.0.0.0 is refused by the daemon's egress policy (unspecified address)",
    ],
    // The same host written as IPv6: judged as the host it is.
    [
      "http://[::ffff:a9fe:a9fe]/",
      "[::ffff:a9fe:a9fe] is refused by the daemon's egress policy (link-local)",
    ],
    // Refused only with --deny-cidr, which validate does not know: nothing to say.
    ["http://10.0.0.5/hook", undefined],
    ["http://127.0.0.1:8787/x", undefined],
    ["https://crm.example.com/x", undefined],
    // A reference's address may be part of a secret: never judged nor repeated.
    ["http://169.254.169.254/${env:PATH_PART}", undefined],
    ["${env:CRM_URL}", undefined],
  ])("%j: %j", (url, expected) => {
    const found = deniedAddress(makeRawIntegration({ url }));
    if (expected === undefined) return expect(found).toEqual([]);
    expect(found).toEqual([
      {
        path: ["webhook", "url"],
        message:
          `webhook.url's address ${expected}: every delivery would be dead-lettered, ` +
          "unless the daemon runs with an --allow-cidr that covers it",
      },
    ]);
  });
  it("judges each host alike however many hosts came before it", () => {
    const refused = (url: string) => deniedAddress(makeRawIntegration({ url })).length;
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 1_500; i++) {
        expect(refused(`http://169.254.${i >> 8}.${i & 255}/`)).toBe(1);
        expect(refused(`http://10.${i >> 8}.${i & 255}.1/`)).toBe(0);
      }
    }
    expect(refused("http://169.254.169.254/")).toBe(1);
    expect(refused("http://127.0.0.1/")).toBe(0);
  });
});
