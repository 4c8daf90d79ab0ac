import { describe, expect, it } from "vitest";
import { unpublishableAccount } from "../../../src/config/rules/scope-rules.js";
import { makeRawIntegration } from "../../support/integration.js";

const scoped = (account: string) => ({ ...makeRawIntegration({}), scope: { account } });

describe("unpublishableAccount: an account scope no subject can carry", () => {
  it.each<[string, boolean]>([
    ["acme", false],
    ["Acme-EU_2", false],
    ["müller", false],
    ["acme ", true],
    [" acme", true],
    ["acme\t", true],
    ["ac me", true],
    ["acme.eu", true],
    ["*", true],
    [">", true],
    ["acme.>", true],
    ["acme\u0000", true],
    ["acme\u200b", true],
  ])("%j warns: %j", (account, warns) => {
    const found = unpublishableAccount(scoped(account), scoped(account));
    expect(found.map((w) => w.path)).toEqual(warns ? [["scope", "account"]] : []);
  });

  it("quotes the account as written, with what does not show named", () => {
    const [warning] = unpublishableAccount(scoped("acme\u200b"), scoped("acme\u200b"));
    expect(warning?.message).toMatch(
      /^scope\.account "acme\\u200b" cannot be a NATS subject token/,
    );
    expect(warning?.message).toMatch(/a zero-width space \(U\+200B\)/);
  });

  it("never repeats a value that came from a reference", () => {
    const [warning] = unpublishableAccount(scoped("${env:TENANT}"), scoped("t3nant "));
    expect(warning?.message).toMatch(/^scope\.account \(from its reference\) cannot be/);
    expect(warning?.message).not.toContain("t3nant");
  });
});
