import { describe, expect, it } from "vitest";
import { quotedForms, urlParts } from "../../src/delivery/echo-forms.js";

describe("quotedForms: a secret as answers quote it", () => {
  it.each([
    ["HTML, & and < as entities", "P@ss<w0rd&SECRETHTML99", "P@ss&lt;w0rd&amp;SECRETHTML99"],
    ["HTML, > as an entity", "a>bcdef", "a&gt;bcdef"],
    ['HTML, " as &quot;', 'say "hi" now', "say &quot;hi&quot; now"],
    ['HTML, " as &#34;', 'say "hi" now', "say &#34;hi&#34; now"],
    ["HTML, ' as &#39;", "it's-secret", "it&#39;s-secret"],
    ["HTML, ' as &#x27;", "it's-secret", "it&#x27;s-secret"],
    ["HTML, ' as &#039;", "it's-secret", "it&#039;s-secret"],
    ["the URL parser, in a path", "a|b c'd", "a|b%20c'd"],
    ["the URL parser, in a query", "q k'z", "q%20k%27z"],
    ["encodeURIComponent", "a/b c", "a%2Fb%20c"],
    ["a form", "a b&c", "a+b%26c"],
  ])("includes %s", (_style, secret, form) => {
    expect(quotedForms(secret)).toContain(form);
  });

  it("adds no HTML forms to a secret without characters HTML escapes", () => {
    expect(new Set(quotedForms("tok-Rf7Wq2Lx9Z"))).toEqual(new Set(["tok-Rf7Wq2Lx9Z"]));
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
  ])("gives %s", (_what, secret, parts) => {
    expect(urlParts(secret)).toEqual(expect.arrayContaining(parts));
  });

  it.each([
    ["a plain token", "tok-Rf7Wq2Lx9Z"],
    ["a host", "hooks.internal.example"],
    ["a path segment", "segment-Tk5Yj2Ua8"],
  ])("gives nothing of %s, which is one part already", (_what, secret) => {
    expect(urlParts(secret)).toEqual([]);
  });

  it("gives no bare / of a URL without a path", () => {
    expect(urlParts("https://h.example")).not.toContain("/");
  });
});
