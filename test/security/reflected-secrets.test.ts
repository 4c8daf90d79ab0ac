/**
 * A receiver that answers an error by echoing what it got ("invalid token tok-…", "Cannot
 * POST /hook?key=…") hands the secrets sent to it back in the start of its body, which the
 * dead letter keeps: `dlq list` must show them masked, as it shows the request.
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
  lastResponseBody: string | null;
}

describe("secrets a receiver echoes back in its answer", () => {
  let nats: NatsServer;
  let receiver: Receiver;
  let dir: ReturnType<typeof tempDir>;
  let daemon: RunningDaemon;
  let letters: DeadLetter[] = [];

  beforeAll(async () => {
    nats = await startNatsServer();
    // Echoes the request line and every header, as many error pages and debug endpoints do.
    receiver = await startReceiver((req) => ({
      status: 400,
      body: `${req.method} ${req.url}\n${JSON.stringify(req.headers)}\n${req.body}`,
    }));
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
    letters = await publishUntilDeadLetters<DeadLetter>(nats.url, 3, "three dead letters");
  }, 60_000);
  afterAll(async () => {
    await daemon?.stop();
    await receiver?.close();
    await nats?.dispose();
    dir?.cleanup();
  });

  const bodyOf = (name: string) => letters.find((l) => l.integration === name)?.lastResponseBody;

  it("sent the secrets, and the receiver echoed them", () => {
    const echoed = receiver.requests.map((r) => `${r.url} ${JSON.stringify(r.headers)}`).join();
    for (const secret of [TOKEN, API_KEY, URL_KEY, SEGMENT]) expect(echoed).toContain(secret);
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
});
