import { describe, expect, it } from "vitest";
import { quotedForms, urlParts } from "../../src/delivery/echo-forms.js";

describe("quotedForms: a secret as it is and as a form writes it", () => {
  it.each([
    ["a secret without characters a form escapes", "tok-Rf7Wq2Lx9Z", ["tok-Rf7Wq2Lx9Z"]],
    ["a space as +, & as %26", "a b&c", ["a b&c", "a+b%26c"]],
    ["% as %25, the text as it is kept too", "ab%41cd", ["ab%41cd", "ab%2541cd"]],
  ])("gives %s", (_what, secret, forms) => {
    expect(new Set(quotedForms(secret))).toEqual(new Set(forms));
  });
});

describe("urlParts: the parts of a secret URL a receiver quotes apart", () => {
  const url = "http://127.0.0.1:18080/redir/hooks?access_token=CRMTOKEN-s3cr3t-42&v=2";

  it.each([
    ["the path with its query", "/redir/hooks?access_token=CRMTOKEN-s3cr3t-42&v=2"],
    ["the query with its ?", "?access_token=CRMTOKEN-s3cr3t-42&v=2"],
    ["the query string", "access_token=CRMTOKEN-s3cr3t-42&v=2"],
    ["a parameter's value", "CRMTOKEN-s3cr3t-42"],
    ["the path", "/redir/hooks"],
  ])("of a whole URL: %s", (_part, part) => {
    expect(urlParts(url)).toContain(part);
  });

  it.each([
    ["a value as sent and decoded", "https://h.example/x?k=a%20b%2Bc", ["a%20b%2Bc", "a b+c"]],
    ["the URL as sent", "https://H.Example:443/p/q#frag", ["https://h.example/p/q"]],
    ["a path with its query", "/services/T0/B0?token=abc12345", ["abc12345", "/services/T0/B0"]],
    ["a query string", "access_token=abc12345&x=1", ["abc12345"]],
    [
      "a query string with a URL as a value",
      "next=https://crm.example/cb",
      ["https://crm.example/cb"],
    ],
    ["a URL whose scheme has a digit", "s3://bucket/key?sig=abcdefgh", ["/key?sig=abcdefgh"]],
  ])("gives %s", (_what, secret, parts) => {
    expect(urlParts(secret)).toEqual(expect.arrayContaining(parts));
  });

  it.each([
    ["a plain token", "tok-Rf7Wq2Lx9Z"],
    ["a host", "hooks.internal.example"],
    ["a path segment", "segment-Tk5Yj2Ua8"],
    ["a token that holds a / (no path)", "tok/Rf7Wq2Lx9Z"],
    ["a URL that does not parse", "http://[::1"],
  ])("gives nothing of %s, which is one part already", (_what, secret) => {
    expect(urlParts(secret)).toEqual([]);
  });

  it("gives only the URL itself of a URL without a path or query: no bare /, nothing empty", () => {
    expect(urlParts("https://h.example")).toEqual(["https://h.example/"]);
  });

  it("gives no URL of a secret that is a path, which the parser had to be given a base for", () => {
    const parts = urlParts("/services/T0/B0?token=abc12345");
    expect(parts.filter((part) => part.includes("://"))).toEqual([]);
  });
});
