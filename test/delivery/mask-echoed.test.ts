/**
 * What a dead letter keeps of an answer and of a redirect's Location, for secrets that come
 * back in other forms than sent: parts of a secret URL, escaped as PHP, Go or an HTML page
 * write them, and a username given as a secret. The integrations are loaded as `run` loads them.
 */
import { afterAll, describe, expect, it } from "vitest";
import { maskEchoedSecrets, shownLocation } from "../../src/delivery/mask.js";
import { integrationLoader, makeTempDir, removeDir } from "../support/config-dir.js";

const dir = makeTempDir("hookswitch-mask-echoed-");
afterAll(() => removeDir(dir));

const loaded = integrationLoader(dir);

const CRM_URL = "http://127.0.0.1:18080/redir/hooks?access_token=CRMTOKEN-s3cr3t-42";

describe("a whole webhook URL given as a secret", () => {
  const urlSecret = () => loaded({ url: "${env:CRM_URL}" }, { CRM_URL });

  it.each([
    [
      "a redirect to its path and query on another host",
      "http://other.example/landing/redir/hooks?access_token=CRMTOKEN-s3cr3t-42&from=x",
      "http://other.example/landing****&from=x",
    ],
    ["a redirect naming the token alone", "/login?next=CRMTOKEN-s3cr3t-42", "/login?next=****"],
  ])("masks %s", async (_what, location, shown) => {
    expect(shownLocation(await urlSecret(), location)).toBe(shown);
  });

  it.each([
    [
      "its request line",
      "POST /redir/hooks?access_token=CRMTOKEN-s3cr3t-42 HTTP/1.1",
      "POST **** HTTP/1.1",
    ],
    ["its query", '{"query":"access_token=CRMTOKEN-s3cr3t-42"}', '{"query":"****"}'],
    ["its path alone", "no route /redir/hooks", "no route ****"],
    ["the token decoded", "token CRMTOKEN-s3cr3t-42 expired", "token **** expired"],
    ["the path as PHP escapes it", String.raw`{"path":"\/redir\/hooks"}`, '{"path":"****"}'],
  ])("masks %s in an answer", async (_what, answer, masked) => {
    expect(maskEchoedSecrets(await urlSecret(), answer)).toBe(masked);
  });

  it("masks a parameter's value as sent and decoded", async () => {
    const integration = await loaded(
      { url: "${env:URL}" },
      { URL: "https://h.example/hook?sig=s1g%2Fv4lue%20x" },
    );
    const answer = "bad sig s1g%2Fv4lue%20x (s1g/v4lue x)";
    expect(maskEchoedSecrets(integration, answer)).toBe("bad sig **** (****)");
  });

  it("leaves a bare / and short parts of the path and query alone", async () => {
    const integration = await loaded(
      { url: "${env:URL}" },
      { URL: "https://h.example/hooks?format=json&v=1&key=k3y-Long-enough" },
    );
    const answer = "POST / is not /hooks; format json, v 1";
    expect(maskEchoedSecrets(integration, answer)).toBe(answer);
  });

  it("leaves the parts of a URL alone that no secret gave", async () => {
    const integration = await loaded(
      { url: "https://h.example/redir/hooks?access_token=${env:TOKEN}" },
      { TOKEN: "CRMTOKEN-s3cr3t-42" },
    );
    expect(maskEchoedSecrets(integration, "GET /redir/hooks?access_token=CRMTOKEN-s3cr3t-42")).toBe(
      "GET /redir/hooks?access_token=****",
    );
  });

  it("masks a secret path segment as the URL parser writes it", async () => {
    const integration = await loaded(
      { url: "https://h.example/hook/${env:SEG}?q=${env:Q}" },
      { SEG: "seg|m3nt x", Q: "it's q-value" },
    );
    expect(maskEchoedSecrets(integration, "GET /hook/seg|m3nt%20x?q=it%27s%20q-value")).toBe(
      "GET /hook/****?q=****",
    );
  });
});

describe("secrets escaped as PHP, Go, Rails or an HTML page write them", () => {
  it("masks a Bearer token as PHP's json_encode writes it", async () => {
    const integration = await loaded(
      { url: "https://h.example/h", auth: { type: "token", token: "${env:TOKEN}" } },
      { TOKEN: "TOKSECRET/AAA+111" },
    );
    const answer = String.raw`{"token":"TOKSECRET\/AAA+111"}`;
    expect(maskEchoedSecrets(integration, answer)).toBe('{"token":"****"}');
  });

  it.each([
    ["Go's and Rails' JSON", String.raw`{"error":"bad password P@ss\u003cw0rd\u0026SECRETHTML99"}`],
    ["an HTML page", "<p>bad password P@ss&lt;w0rd&amp;SECRETHTML99</p>"],
    ["an HTML page's attribute", '<input value="P@ss&lt;w0rd&amp;SECRETHTML99">'],
  ])("masks a Basic password as %s writes it", async (_what, answer) => {
    const integration = await loaded(
      {
        url: "https://h.example/h",
        auth: { type: "basic", username: "svc", password: "${env:PASSWORD}" },
      },
      { PASSWORD: "P@ss<w0rd&SECRETHTML99" },
    );
    const masked = maskEchoedSecrets(integration, answer);
    expect(masked).not.toContain("SECRETHTML99");
    expect(masked).toContain("****");
  });
});

describe("a secret in any mix of JSON's escapes", () => {
  const TOKEN = "tok_S3cr3t/Value+with&chars=1";
  const tokenSecret = () =>
    loaded(
      { url: "https://h.example/h", auth: { type: "token", token: "${env:TOKEN}" } },
      { TOKEN },
    );

  it.each([
    ["/ as \\/", String.raw`{"got":"tok_S3cr3t\/Value+with&chars=1"}`],
    ["& as \\u0026", String.raw`{"got":"tok_S3cr3t/Value+with\u0026chars=1"}`],
    [
      "/ as \\/ and & as \\u0026 (PHP with JSON_HEX_AMP)",
      String.raw`{"got":"tok_S3cr3t\/Value+with\u0026chars=1"}`,
    ],
    [
      "every character as \\u, in upper-case hex",
      `{"got":"${[...TOKEN].map((c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`).join("")}"}`,
    ],
  ])("is masked whole with %s", async (_what, answer) => {
    expect(maskEchoedSecrets(await tokenSecret(), answer)).toBe('{"got":"****"}');
  });

  it("is masked where the kept answer cuts it off, escapes and all", async () => {
    const answer = `${"x".repeat(20)}tok_S3cr3t\\/Value+with\\u00`;
    expect(maskEchoedSecrets(await tokenSecret(), answer)).toBe(`${"x".repeat(20)}****`);
  });

  it("is masked where the kept answer cuts it off after a part a URL would give it", async () => {
    // `tok_S3cr3t/Value+with` alone is a part too (what precedes the first &): found whole,
    // it once left the rest of the cut-off token shown.
    const answer = `${"x".repeat(20)}tok_S3cr3t/Value+with&ch`;
    expect(maskEchoedSecrets(await tokenSecret(), answer)).toBe(`${"x".repeat(20)}****`);
  });
});

describe("a secret written as other encoders write it", () => {
  const TOKEN = "sk_live/Ab+Cd=Ef&Gh<Ij>Kl\"Mn'Op~Qr";
  const URL_KEY = "uk_9f8e/7d+6c=5bQQ";
  const integration = () =>
    loaded(
      {
        url: "http://127.0.0.1:18080/hook?api_key=${env:URL_KEY}",
        auth: { type: "token", token: "${env:TOKEN}" },
      },
      { TOKEN, URL_KEY },
    );
  const percent = (text: string, safe: RegExp, hex: (h: string) => string) =>
    [...Buffer.from(text)]
      .map((byte) => {
        const char = String.fromCharCode(byte);
        return safe.test(char) ? char : `%${hex(byte.toString(16).padStart(2, "0"))}`;
      })
      .join("");
  const upper = (h: string) => h.toUpperCase();
  const lower = (h: string) => h.toLowerCase();
  const html = (text: string, entity: (code: number) => string) =>
    [...text].map((c) => (/[A-Za-z0-9]/.test(c) ? c : entity(c.codePointAt(0)!))).join("");

  it.each([
    ["encodeURIComponent", encodeURIComponent],
    ["the URL parser, in a query", (t: string) => new URL(`http://h/?q=${t}`).search.slice(3)],
    ["Python's quote, / left as it is", (t: string) => percent(t, /[A-Za-z0-9_.~/-]/, upper)],
    [".NET's UrlEncode, hex in lower case", (t: string) => percent(t, /[A-Za-z0-9_.*()-]/, lower)],
    ["HTML's hex references (OWASP)", (t: string) => html(t, (c) => `&#x${c.toString(16)};`)],
    ["HTML's decimal references", (t: string) => html(t, (c) => `&#${c};`)],
    [
      "HTML's named references",
      (t: string) => t.replaceAll("&", "&amp;").replaceAll("/", "&sol;").replaceAll("+", "&plus;"),
    ],
    ["upper case", (t: string) => t.toUpperCase()],
  ])("is masked in an answer as %s writes it", async (_what, encode) => {
    const answer = `token ${encode(TOKEN)} and key ${encode(URL_KEY)} refused`;
    expect(maskEchoedSecrets(await integration(), answer)).toBe("token **** and key **** refused");
  });

  it("is masked in a redirect's Location that quotes the URL the way Flask's login_url does", async () => {
    const next = percent(
      `http://127.0.0.1:18080/hook?api_key=${URL_KEY}`,
      /[A-Za-z0-9_.~/-]/,
      upper,
    );
    const shown = shownLocation(await integration(), `http://127.0.0.1:18080/login?next=${next}`);
    expect(shown).not.toMatch(/9f8e/i);
    expect(shown).toMatch(/^http:\/\/127\.0\.0\.1:18080\/login\?next=.*\*\*\*\*/);
  });
});

describe("a signing secret", () => {
  const KEY = "0Fsw7/9YZ99PB7vKCMMXF04hbFBRQBQDHgEN/ljOO/I=";

  it.each([
    ["with its whsec_ prefix", `expected whsec_${KEY}`],
    ["as the bare key after whsec_", `expected key ${KEY}`],
    ["as the bare key, JSON-escaped", `{"expected":"${KEY.replaceAll("/", "\\/")}"}`],
  ])("is masked %s", async (_what, answer) => {
    const integration = await loaded(
      { url: "https://h.example/h", signing: { secret: "${env:SIGNING}" } },
      { SIGNING: `whsec_${KEY}` },
    );
    const masked = maskEchoedSecrets(integration, answer);
    expect(masked).not.toContain(KEY.slice(0, 8));
    expect(masked).toContain("****");
  });
});

describe("a Basic username given as a secret", () => {
  const basic = (username: string) =>
    loaded(
      { url: "https://h.example/h", auth: { type: "basic", username, password: "" } },
      { API_KEY: "live_USERKEY-9f8e7d" },
    );

  it("is masked in an answer and in a redirect's Location, like the password", async () => {
    const integration = await basic("${env:API_KEY}");
    expect(maskEchoedSecrets(integration, "bad credentials live_USERKEY-9f8e7d")).toBe(
      "bad credentials ****",
    );
    expect(shownLocation(integration, "/login?user=live_USERKEY-9f8e7d")).toBe("/login?user=****");
  });

  it("is not masked when written in clear, as it is no secret", async () => {
    const integration = await basic("billing");
    expect(maskEchoedSecrets(integration, "unknown user billing")).toBe("unknown user billing");
  });
});

describe("a token written in clear", () => {
  it("is masked in an answer like one given as a secret", async () => {
    const integration = await loaded(
      { url: "https://h.example/h", auth: { type: "token", token: "CLEARTOKEN-5150" } },
      {},
    );
    expect(maskEchoedSecrets(integration, "token CLEARTOKEN-5150 refused")).toBe(
      "token **** refused",
    );
  });
});

describe("a secret that is also a part of a secret URL", () => {
  it("is masked cut off to its first 4 characters, as a secret, not to 8 as a part", async () => {
    const integration = await loaded(
      { url: "${env:URL}", auth: { type: "token", token: "${env:TOKEN}" } },
      { URL: "https://h.example/hook?key=abcd1234efgh", TOKEN: "abcd1234efgh" },
    );
    expect(maskEchoedSecrets(integration, "token abcd12")).toBe("token ****");
  });

  it("is masked whole when it is a parameter's value of exactly 8 characters", async () => {
    const integration = await loaded(
      { url: "${env:URL}" },
      { URL: "https://h.example/hook?token=abc12345" },
    );
    expect(maskEchoedSecrets(integration, "bad token abc12345")).toBe("bad token ****");
  });
});

describe("a credential header written in clear", () => {
  it.each([
    ['{"authorization":"Bearer LITERALTOKEN-77"}', '{"authorization":"****"}'],
    ["token LITERALTOKEN-77 refused", "token **** refused"],
    ["credentials SPACEDTOKEN-99 refused", "credentials **** refused"],
    ['{"x-api-key":"APIKEYLITERAL-88"}', '{"x-api-key":"****"}'],
  ])("is masked in an answer that quotes it: %j", async (answer, masked) => {
    const integration = await loaded(
      {
        url: "https://h.example/h",
        headers: {
          Authorization: "Bearer LITERALTOKEN-77",
          "X-Api-Key": "APIKEYLITERAL-88",
          "Proxy-Authorization": "Token  SPACEDTOKEN-99",
        },
      },
      {},
    );
    expect(maskEchoedSecrets(integration, answer)).toBe(masked);
  });

  it("leaves a header alone whose name says nothing of a credential, or made of placeholders", async () => {
    const integration = await loaded(
      {
        url: "https://h.example/h",
        headers: { "X-Source": "myecn-billing-feed", "X-Token-For": "{serviceUuid}" },
      },
      {},
    );
    const answer = '{"source":"myecn-billing-feed"}';
    expect(maskEchoedSecrets(integration, answer)).toBe(answer);
  });
});
