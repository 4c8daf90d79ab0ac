import { describe, expect, it } from "vitest";
import { writtenFragment } from "../../../src/config/rules/url-rules.js";
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
