/**
 * Secrets a receiver hands back in other forms than they were sent: parts of a webhook URL
 * given whole as a secret (as Slack, Teams and Zapier hooks are), escaped as PHP, Go or an
 * HTML page writes them, and a Basic username given as a secret (an API key as the
 * username). The dead letters `dlq list` shows and the daemon's log at its default level
 * must show them masked.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishUntilDeadLetters } from "../support/dead-letters.js";
import { startDaemon, tempDir, writeIntegration, type RunningDaemon } from "../support/daemon.js";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { startReceiver, type ReceivedRequest, type Receiver } from "../support/receiver.js";

const CRM_TOKEN = "CRMTOKEN-s3cr3t-42";
const PATH_SECRET = "URLPATHSECRET";
const QUERY_SECRET = "URLQSECRET";
const TOKEN = "TOKSECRET/AAA+111";
const PASSWORD = "P@ss<w0rd&SECRETHTML99";
const API_KEY = "live_USERKEY-Qm4Tz8";
const LEAKS = [CRM_TOKEN, PATH_SECRET, QUERY_SECRET, "TOKSECRET", "SECRETHTML99", "USERKEY"];

interface DeadLetter {
  integration: string | null;
  reason: string;
  lastResponseBody: string | null;
}

/** What the Authorization header carried: the token, or Basic's user and password. */
function credentials(req: ReceivedRequest): { user: string; password: string } {
  const value = String(req.headers.authorization ?? "");
  if (!value.startsWith("Basic ")) return { user: "", password: value.slice(7) };
  const decoded = Buffer.from(value.slice(6), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

const php = (text: string) => JSON.stringify(text).replaceAll("/", "\\/");
const go = (text: string) =>
  JSON.stringify(text).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
const html = (text: string) =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

describe("secrets a receiver echoes in other forms than sent", () => {
  let nats: NatsServer;
  let receiver: Receiver;
  let dir: ReturnType<typeof tempDir>;
  let daemon: RunningDaemon;
  let letters: DeadLetter[] = [];

  beforeAll(async () => {
    nats = await startNatsServer();
    receiver = await startReceiver((req) => {
      const { user, password } = credentials(req);
      const at = (prefix: string) => req.url.startsWith(prefix);
      if (at("/redir/")) {
        const location = `http://landing.example/landing${req.url}&from=hookswitch`;
        return { status: 302, headers: { Location: location } };
      }
      if (at("/login")) return { status: 302, headers: { Location: `/signin?user=${user}` } };
      if (at("/echo400/")) return { status: 400, body: `Cannot ${req.method} ${req.url}` };
      if (at("/php")) return { status: 401, body: `{"error":"bad token","got":${php(password)}}` };
      if (at("/go")) return { status: 401, body: `{"error":${go(`bad password ${password}`)}}` };
      if (at("/html")) return { status: 401, body: `<p>bad password ${html(password)}</p>` };
      return { status: 401, body: `bad credentials ${user}` };
    });
    dir = tempDir();
    const once = { maxAttempts: 1 };
    const basic = (username: string) => ({ type: "basic", username, password: "${env:PW}" });
    const integrations: Array<[string, Record<string, unknown>]> = [
      ["crm-url", { url: "${env:CRM_WEBHOOK_URL}" }],
      ["echo-url", { url: "${env:ECHO_URL}" }],
      ["php-token", { url: `${receiver.url}/php`, auth: { type: "token", token: "${env:TOK}" } }],
      ["go-basic", { url: `${receiver.url}/go`, auth: basic("svc") }],
      ["html-basic", { url: `${receiver.url}/html`, auth: basic("svc") }],
      ["user-key", { url: `${receiver.url}/user`, auth: basic("${env:API_KEY}") }],
      ["user-redirect", { url: `${receiver.url}/login`, auth: basic("${env:API_KEY}") }],
    ];
    for (const [name, webhook] of integrations) {
      writeIntegration(dir.path, name, { url: "", ...webhook, retry: once });
    }
    daemon = await startDaemon({
      natsUrl: nats.url,
      dir: dir.path,
      env: {
        LOG_LEVEL: "info",
        CRM_WEBHOOK_URL: `${receiver.url}/redir/hooks?access_token=${CRM_TOKEN}`,
        ECHO_URL: `${receiver.url}/echo400/${PATH_SECRET}?access_token=${QUERY_SECRET}`,
        TOK: TOKEN,
        PW: PASSWORD,
        API_KEY,
      },
    });
    letters = await publishUntilDeadLetters<DeadLetter>(nats.url, 7, "seven dead letters");
  }, 60_000);
  afterAll(async () => {
    await daemon?.stop();
    await receiver?.close();
    await nats?.dispose();
    dir?.cleanup();
  });

  const letterOf = (name: string) => letters.find((l) => l.integration === name);

  it("sent the secrets, and the receiver echoed them", () => {
    expect(receiver.requests.map((r) => r.url)).toEqual(
      expect.arrayContaining([`/redir/hooks?access_token=${CRM_TOKEN}`]),
    );
    expect(receiver.requests).toHaveLength(7);
  });

  it("masks the secret URL's path and query where a redirect quotes them", () => {
    expect(letterOf("crm-url")?.reason).toBe(
      "HTTP 302, redirected to http://landing.example/landing****&from=hookswitch (not followed): configure that URL if it is the right one",
    );
  });

  it("masks the secret URL's path and query in an answer quoting its request line", () => {
    expect(letterOf("echo-url")?.lastResponseBody).toBe("Cannot POST ****");
  });

  it.each([
    ["php-token", '{"error":"bad token","got":"****"}'],
    ["go-basic", '{"error":"bad password ****"}'],
    ["html-basic", "<p>bad password ****</p>"],
    ["user-key", "bad credentials ****"],
  ])("masks the secret %s's answer quotes, escaped as it writes it", (name, body) => {
    expect(letterOf(name)?.lastResponseBody).toBe(body);
  });

  it("masks a username given as a secret where a redirect quotes it", () => {
    expect(letterOf("user-redirect")?.reason).toMatch(
      /^HTTP 302, redirected to \/signin\?user=\*{4} /,
    );
  });

  it("shows no secret in any dead letter, nor in the log at the default level", async () => {
    const text = JSON.stringify(letters);
    await daemon.stop();
    const log = daemon.output();
    const lines = log.split("\n").filter((l) => l.includes('"delivery dead-lettered"'));
    expect(lines).toHaveLength(7);
    expect(log).toContain("redirected to http://landing.example/landing****&from=hookswitch");
    for (const leak of LEAKS) {
      expect(text).not.toContain(leak);
      expect(log).not.toContain(leak);
    }
  });
});
