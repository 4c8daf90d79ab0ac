/**
 * A receiver that answers an error by echoing what it got ("invalid token tok-…", "Cannot
 * POST /hook?key=…") hands the secrets sent to it back in the start of its body, which the
 * dead letter keeps: `dlq list` must show them masked, as it shows the request. So does one
 * that redirects to the URL it got, whose Location the dead letter's reason names.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishUntilDeadLetters } from "../support/dead-letters.js";
import { startDaemon, tempDir, writeIntegration, type RunningDaemon } from "../support/daemon.js";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { startReceiver, type Receiver } from "../support/receiver.js";

const TOKEN = "tok-Rf7Wq2Lx9Z";
const PASSWORD = "pw with space+plus&amp";
const API_KEY = "apikey-Gz4Ns8Pq1";
const URL_KEY = "urlkey-Hc3Dv6Mb0";
const SEGMENT = "segment-Tk5Yj2Ua8";

interface DeadLetter {
  integration: string | null;
  reason: string;
  lastStatus: number | null;
  lastResponseBody: string | null;
}

const MOVED = "https://new.example/hook";

describe("secrets a receiver echoes back in its answer", () => {
  let nats: NatsServer;
  let receiver: Receiver;
  let dir: ReturnType<typeof tempDir>;
  let daemon: RunningDaemon;
  let letters: DeadLetter[] = [];

  beforeAll(async () => {
    nats = await startNatsServer();
    // Echoes the request line and every header, as many error pages and debug endpoints do;
    // under /moved, redirects for good, and under /r to the URL it got, on another host.
    receiver = await startReceiver((req) => {
      if (req.url.startsWith("/moved")) return { status: 301, headers: { Location: MOVED } };
      if (req.url.startsWith("/r")) {
        return { status: 308, headers: { Location: `https://new.example${req.url}` } };
      }
      return {
        status: 400,
        body: `${req.method} ${req.url}\n${JSON.stringify(req.headers)}\n${req.body}`,
      };
    });
    dir = tempDir();
    const once = { maxAttempts: 1 };
    writeIntegration(dir.path, "token-auth", {
      url: `${receiver.url}/t`,
      auth: { type: "token", token: "${env:SEC_TOKEN}" },
      retry: once,
    });
    writeIntegration(dir.path, "basic-auth", {
      url: `${receiver.url}/b`,
      auth: { type: "basic", username: "svc", password: "${env:SEC_PASSWORD}" },
      retry: once,
    });
    writeIntegration(dir.path, "secret-parts", {
      url: `${receiver.url}/p?key=\${env:SEC_URL_KEY}`,
      method: "GET",
      pathArguments: ["${env:SEC_SEGMENT}", "{extensionNumber}"],
      headers: { "X-Api-Key": "${env:SEC_API_KEY}" },
      fields: { ext: "extensionNumber", pw: { value: "${env:SEC_PASSWORD}" } },
      retry: once,
    });
    writeIntegration(dir.path, "moved", { url: `${receiver.url}/moved`, retry: once });
    writeIntegration(dir.path, "redirect-secrets", {
      url: `${receiver.url}/r?key=\${env:SEC_URL_KEY}`,
      pathArguments: ["${env:SEC_SEGMENT}"],
      retry: once,
    });
    daemon = await startDaemon({
      natsUrl: nats.url,
      dir: dir.path,
      env: {
        SEC_TOKEN: TOKEN,
        SEC_PASSWORD: PASSWORD,
        SEC_API_KEY: API_KEY,
        SEC_URL_KEY: URL_KEY,
        SEC_SEGMENT: SEGMENT,
      },
    });
    letters = await publishUntilDeadLetters<DeadLetter>(nats.url, 5, "five dead letters");
  }, 60_000);
  afterAll(async () => {
    await daemon?.stop();
    await receiver?.close();
    await nats?.dispose();
    dir?.cleanup();
  });

  const letterOf = (name: string) => letters.find((l) => l.integration === name);
  const bodyOf = (name: string) => letterOf(name)?.lastResponseBody;

  it("sent the secrets, and the receiver echoed them", () => {
    const echoed = receiver.requests.map((r) => `${r.url} ${JSON.stringify(r.headers)}`).join();
    for (const secret of [TOKEN, API_KEY, URL_KEY, SEGMENT]) expect(echoed).toContain(secret);
    expect(receiver.requests.filter((r) => r.url.startsWith("/r/"))).toHaveLength(1);
  });

  it("keeps the rest of the echoed answer", () => {
    expect(bodyOf("token-auth")).toMatch(/^POST \/t\n/);
    expect(bodyOf("secret-parts")).toMatch(/^GET \/p\/\*{4}\/201\?key=\*{4}&ext=201&pw=\*{4}\n/);
  });

  it("masks every secret in the kept start of the answer, in every form it was sent", () => {
    const text = JSON.stringify(letters);
    const basic = Buffer.from(`svc:${PASSWORD}`).toString("base64");
    for (const secret of [TOKEN, API_KEY, URL_KEY, SEGMENT, basic]) {
      expect(text).not.toContain(secret);
    }
    const form = new URLSearchParams({ pw: PASSWORD }).toString().slice(3);
    expect(text).not.toContain(form);
    expect(text).not.toContain(encodeURIComponent(PASSWORD));
    expect(bodyOf("token-auth")).toContain('"authorization":"Bearer ****"');
    expect(bodyOf("basic-auth")).toContain('"authorization":"Basic ****"');
  });

  it("names where a redirect points in the dead letter's reason, and follows none", () => {
    expect(letterOf("moved")).toMatchObject({
      lastStatus: 301,
      reason: `HTTP 301, redirected to ${MOVED} (not followed): configure that URL if it is the right one`,
    });
    expect(receiver.requests.filter((r) => r.url === "/moved")).toHaveLength(1);
  });

  it("masks the secrets of a redirect to the URL it got", () => {
    expect(letterOf("redirect-secrets")?.reason).toBe(
      "HTTP 308, redirected to https://new.example/r/****?key=**** (not followed): configure that URL if it is the right one",
    );
  });
});
