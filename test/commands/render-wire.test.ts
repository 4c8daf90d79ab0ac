/**
 * `hookswitch render` prints "the exact request the integration would send" (SPEC, section 6):
 * for a table of integrations covering every method, format and auth kind, path arguments,
 * queries in the URL, custom headers, field mappings and signing on and off, what
 * `render --json --show-secrets` prints is compared with what a real receiver gets from a real
 * daemon for the same event: method, path and query, every header (names as sent, values as
 * bytes, in order) and the body's bytes.
 *
 * What differs per attempt by design is compared in form, never skipped: `webhook-timestamp`
 * (Unix seconds within the test's run), `dateTime` wherever a field, template, header or path
 * argument puts it (ISO 8601 within the test's run, of the same second as the timestamp), and
 * `webhook-signature` (one `v1,` per secret, each verified against that request's own id,
 * timestamp and body). What the HTTP client adds and render does not print
 * (docs/receivers.md: `Host`, `Content-Length`, `Connection`) is checked for its value.
 * Masked output (no `--show-secrets`) is checked to be the shown output with each secret as
 * `****`.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PbxEvent } from "../../src/events/types.js";
import { webhookId } from "../../src/delivery/webhook-id.js";
import { USER_AGENT } from "../../src/version.js";
import { runCli } from "../support/cli.js";
import {
  connectPublisher,
  startDaemon,
  stopThenCleanUp,
  tempDir,
  writeIntegration,
  type Publisher,
  type RunningDaemon,
} from "../support/daemon.js";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { startReceiver, type ReceivedRequest, type Receiver } from "../support/receiver.js";
import { waitFor } from "../support/wait.js";

const whsec = (seed: string) => `whsec_${Buffer.from(seed.padEnd(32, "-")).toString("base64")}`;
const SECRETS = {
  token: "tok-Wire_7f3a.9c~1e+55/=",
  fileToken: "file-tok-0a1b2c3d4e",
  password: "pässwörd:with:colons",
  apiKey: "key-5e3cR3t-9d8c",
  signing: whsec("wire-signing-secret-one"),
  nextSigning: whsec("wire-signing-secret-two"),
};
const ENV = {
  WIRE_TOKEN: SECRETS.token,
  WIRE_KEY: SECRETS.apiKey,
  WIRE_SIGNING: SECRETS.signing,
  // The test's environment must not choose for render what the table does not.
  HOOKSWITCH_DIR: undefined,
  HOOKSWITCH_SHOW_SECRETS: undefined,
  HOOKSWITCH_RENDER_JSON: undefined,
  HOOKSWITCH_RENDER_INCLUDE_DISABLED: undefined,
};

/** One event for every integration: values that need encoding in each place they can go. */
const EVENT: PbxEvent = {
  specversion: "1.0",
  id: randomUUID(),
  source: "/accounts/acme/services/3f0c6f8e-6a0b-4a39-9b1e-0d6f1f3f4a11",
  type: "user.modified",
  time: "2026-11-28T17:00:00.000Z",
  datacontenttype: "application/json",
  data: {
    account: "acme",
    service: {
      type: "mycloudpbx",
      uuid: "3f0c6f8e-6a0b-4a39-9b1e-0d6f1f3f4a11",
      // A lone surrogate (a name cut inside an emoji): no UTF-8 form, sent as U+FFFD or escaped.
      name: "pbx 01 \ud83d",
      friendlyName: "Head\r\noffice\tNorth — Zürich\n",
    },
    // No outboundNumber: null in JSON, left out of a query or form, empty in a header.
    user: {
      extension: "201",
      name: 'Zoë O\'Brien & Co/Ltd 100% +?#=✓ "q"',
      hasVoicemail: false,
      enabledCalls: ["Local", "International Other"],
    },
    previous: { name: "Zoe" },
  },
};

interface Case {
  name: string;
  /** `webhook` of the file; `url` is the path after the receiver's origin. */
  webhook: { url: string } & Record<string, unknown>;
  /** Secrets its request carries in clear, for the masked comparison. */
  secrets?: string[];
  /** Also render it without --show-secrets. */
  masked?: boolean;
}

const ALL_FIELD_KINDS = {
  ext: "extensionNumber",
  fullName: "name",
  did: "outboundPhoneNumber",
  vm: "hasVoicemail",
  calls: "enabledCalls",
  at: "dateTime",
  place: "serviceFriendlyName",
  eventTime: "eventTime",
  source: { value: "myecn" },
  priority: { value: 2 },
  urgent: { value: false },
  nothing: { value: null },
  "user.name": { template: "{name} ({extensionNumber}) at {dateTime}" },
};

const CASES: Case[] = [
  {
    name: "post-json-token-signed",
    webhook: {
      url: "/post-json-token-signed/api/callbacks?src=pbx&x=a%20b",
      method: "POST",
      format: "json",
      pathArguments: ["{serviceUuid}", "ext-{extensionNumber}", "{name}", "{dateTime}"],
      auth: { type: "token", token: "${env:WIRE_TOKEN}" },
      headers: {
        "X-Source": "myecn",
        "X-User": "{name}",
        "X-Phone": "{outboundPhoneNumber}",
        "X-Place": "{serviceFriendlyName}",
        "X-Sent": "sent {dateTime}",
        "X-Api-Key": "${env:WIRE_KEY}",
      },
      fields: ALL_FIELD_KINDS,
      signing: { secret: "${env:WIRE_SIGNING}" },
    },
    secrets: [SECRETS.token, SECRETS.apiKey],
    masked: true,
  },
  {
    name: "post-json-defaults",
    // No method, format, auth, headers, fields or signing: every field under its own name.
    webhook: { url: "/post-json-defaults" },
  },
  {
    name: "post-form-basic-rotation",
    webhook: {
      url: "/post-form-basic-rotation/extensions?tenant=acme&",
      method: "POST",
      format: "form",
      auth: { type: "basic", username: "hooks", password: "${file:PASSWORD_FILE}" },
      headers: { "X-Ext": "{extensionNumber}" },
      fields: ALL_FIELD_KINDS,
      signing: { secret: ["${env:WIRE_SIGNING}", "${file:NEXT_SIGNING_FILE}"] },
    },
    secrets: [SECRETS.password],
    masked: true,
  },
  {
    name: "post-form-defaults-basic-empty",
    // Basic with neither username nor password: both are optional, as on the portal.
    webhook: { url: "/post-form-defaults-basic-empty", format: "form", auth: { type: "basic" } },
  },
  {
    name: "get-query-signed",
    webhook: {
      url: "/get-query-signed/tickets?tenant=acme&q=caf%C3%A9",
      method: "GET",
      format: "query",
      pathArguments: ["{serviceName}"],
      auth: { type: "basic", username: "only-user" },
      fields: ALL_FIELD_KINDS,
      signing: { secret: "${env:WIRE_SIGNING}" },
    },
  },
  {
    name: "get-defaults",
    // GET without format (query by default) nor fields: every field in the query.
    webhook: { url: "/get-defaults/open", method: "GET", auth: { type: "none" } },
  },
  {
    name: "post-query-file-token",
    // POST with the payload in the query: no body, signed over the empty body.
    webhook: {
      url: "/post-query-file-token/hook?key=${env:WIRE_KEY}",
      method: "POST",
      format: "query",
      auth: { type: "token", token: "${file:TOKEN_FILE}" },
      fields: { ext: "extensionNumber", who: { template: "{name}" } },
      signing: { secret: "${env:WIRE_SIGNING}" },
    },
    secrets: [SECRETS.fileToken, SECRETS.apiKey],
    masked: true,
  },
  {
    name: "post-json-basic-password-only",
    webhook: {
      url: "/post-json-basic-password-only/",
      pathArguments: ["{serviceName} {serviceFriendlyName}", "x-{extensionNumber}"],
      auth: { type: "basic", password: "${file:PASSWORD_FILE}" },
      fields: { label: { template: "{serviceFriendlyName}|{enabledCalls}" }, vm: "hasVoicemail" },
    },
    secrets: [SECRETS.password],
  },
  {
    name: "post-json-retried",
    // The receiver answers its first attempt 503: the retry is what is compared.
    webhook: {
      url: "/post-json-retried/hook",
      headers: { "X-Ext": "{extensionNumber}", "X-Sent": "{dateTime}" },
      fields: { ext: "extensionNumber", at: "dateTime" },
      signing: { secret: "${env:WIRE_SIGNING}" },
    },
  },
  {
    name: "url-odd-headers-odd",
    // A URL the parser normalises (non-ASCII path, quote in the query), header values with a
    // tab, non-ASCII text and spaces around them, a header name of every token character.
    webhook: {
      url: "/url-odd-headers-odd/café/a%2Fb?q='x'&e=",
      format: "json",
      pathArguments: ["."],
      headers: {
        "X-Tab": "a\tb",
        "X-Latin": "Zoë ✓",
        "X-Pad": "  {extensionNumber}  ",
        "X-Odd!#$%&'*+.^_`|~": "odd",
      },
      fields: { n: "name" },
    },
  },
];

interface Printed {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | null;
}

/** A request as compared: headers as an ordered list of [name, value]. */
interface Compared {
  method: string;
  url: string;
  headers: [string, string][];
  body: string | null;
}

/** `dateTime` as a field, template, header or path argument gives it, raw or URL-encoded. */
const DATE_TIME = /\d{4}-\d\d-\d\dT\d\d(?::|%3A)\d\d(?::|%3A)\d\d\.\d{3}Z/g;

/** The span of the test's requests: per-attempt times must fall in it. */
const span = { from: 0, to: 0 };

/**
 * `request` with per-attempt values checked for form and replaced by a placeholder:
 * `webhook-timestamp` (Unix seconds in the span), `dateTime` (in the span, of the same
 * second as the timestamp), `webhook-signature` (each signature verified over this request's
 * id, timestamp and body with one of `secrets`).
 */
function normalized(request: Compared, signingSecrets: string[], what: string): Compared {
  const header = (name: string) => request.headers.find(([n]) => n === name)?.[1];
  const timestamp = header("webhook-timestamp");
  expect(timestamp, `${what}: webhook-timestamp`).toMatch(/^\d{10}$/);
  const seconds = Number(timestamp);
  expect(seconds, `${what}: webhook-timestamp in the test's run`).toBeGreaterThanOrEqual(
    Math.floor(span.from / 1000),
  );
  expect(seconds).toBeLessThanOrEqual(Math.ceil(span.to / 1000));
  // eventTime has the same form: only a time within the test's run is the attempt's.
  const times = (text: string) =>
    text.replace(DATE_TIME, (found) => {
      const ms = Date.parse(found.replaceAll("%3A", ":"));
      if (ms < span.from - 1000 || ms > span.to + 1000) return found;
      expect(Math.floor(ms / 1000), `${what}: dateTime ${found} is the attempt's second`).toBe(
        seconds,
      );
      return "<dateTime>";
    });
  const signature = header("webhook-signature");
  if (signingSecrets.length === 0) expect(signature, `${what}: unsigned`).toBeUndefined();
  else {
    const parts = signature?.split(" ") ?? [];
    expect(parts, `${what}: one signature per secret`).toHaveLength(signingSecrets.length);
    const id = header("webhook-id") ?? "";
    for (const [i, secret] of signingSecrets.entries()) {
      expect(parts[i], `${what}: signature ${i}`).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
      // The Standard Webhooks library a receiver uses (docs/receivers.md), secret by secret.
      const only = {
        "webhook-id": id,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": parts[i]!,
      };
      const verify = () =>
        new Webhook(secret).verify(request.body ?? "", only, { jsonParse: false });
      expect(verify, `${what}: signature ${i} verifies`).not.toThrow();
    }
  }
  return {
    method: request.method,
    url: times(request.url),
    headers: request.headers.map(([name, value]) => [
      name,
      name === "webhook-timestamp"
        ? "<timestamp>"
        : name === "webhook-signature"
          ? value.replace(/v1,\S+/g, "v1,<signature>")
          : times(value),
    ]),
    body: request.body === null ? null : times(request.body),
  };
}

/** What the client adds besides the request render prints, by lower-case name. */
const CLIENT_HEADERS = new Set(["host", "content-length", "connection"]);

/** The request as received, header values read back from their bytes as UTF-8. */
function asReceived(receiver: Receiver, request: ReceivedRequest, bodyless: boolean): Compared {
  const headers: [string, string][] = [];
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i]!;
    if (CLIENT_HEADERS.has(name.toLowerCase())) continue;
    headers.push([name, Buffer.from(request.rawHeaders[i + 1]!, "latin1").toString("utf8")]);
  }
  return {
    method: request.method,
    url: `${receiver.url}${request.url}`,
    headers,
    body: bodyless && request.bytes.length === 0 ? null : request.body,
  };
}

/** Secrets as `****`, as render prints them without --show-secrets. */
function masked(request: Printed, secrets: string[]): Printed {
  const hide = (text: string) =>
    secrets.reduce(
      (t, s) => t.split(s).join("****").split(encodeURIComponent(s)).join("****"),
      text,
    );
  const headers = Object.fromEntries(
    Object.entries(request.headers).map(([name, value]) => [
      name,
      name === "Authorization"
        ? value.replace(/ .*/, " ****")
        : name === "webhook-signature"
          ? value.replace(/v1,\S+/g, "v1,****")
          : hide(value),
    ]),
  );
  return {
    method: request.method,
    url: hide(request.url),
    headers,
    body: request.body === null ? null : hide(request.body),
  };
}

describe("render prints the request the daemon sends", () => {
  let nats: NatsServer;
  let receiver: Receiver;
  let publisher: Publisher;
  let daemon: RunningDaemon | undefined;
  const dir = tempDir("hookswitch-render-wire-");
  const folder = join(dir.path, "integrations.d");
  const eventFile = join(dir.path, "event.json");
  const files = {
    TOKEN_FILE: join(dir.path, "token"),
    PASSWORD_FILE: join(dir.path, "password"),
    NEXT_SIGNING_FILE: join(dir.path, "next-signing"),
  };
  const shown = new Map<string, Printed>();
  const maskedShown = new Map<string, Printed>();
  const received = new Map<string, ReceivedRequest>();
  const RETRIED = "post-json-retried";
  let retryRefused = false;
  let firstAttempt: ReceivedRequest | undefined;

  const render = async (name: string, showSecrets: boolean): Promise<Printed> => {
    const args = ["render", name, "--dir", folder, "--event", eventFile, "--json"];
    const result = await runCli(showSecrets ? [...args, "--show-secrets"] : args, { env: ENV });
    expect(result.stderr, `render ${name}`).toBe("");
    expect(result.code, `render ${name}`).toBe(0);
    return JSON.parse(result.stdout) as Printed;
  };

  beforeAll(async () => {
    [nats, receiver] = await Promise.all([
      startNatsServer(),
      startReceiver((request) =>
        request.url.startsWith(`/${RETRIED}/`) && !retryRefused
          ? ((retryRefused = true), { status: 503 })
          : undefined,
      ),
    ]);
    publisher = await connectPublisher(nats.url);
    mkdirSync(folder);
    writeFileSync(files.TOKEN_FILE, `${SECRETS.fileToken}\n`);
    writeFileSync(files.PASSWORD_FILE, `${SECRETS.password}\n`);
    writeFileSync(files.NEXT_SIGNING_FILE, `${SECRETS.nextSigning}\n`);
    writeFileSync(eventFile, JSON.stringify(EVENT));
    for (const { name, webhook } of CASES) {
      const text = JSON.stringify({ ...webhook, url: `${receiver.url}${webhook.url}` });
      const resolved = Object.entries(files).reduce(
        (t, [key, path]) => t.split(`\${file:${key}}`).join(`\${file:${path}}`),
        text,
      );
      writeIntegration(folder, name, JSON.parse(resolved) as { url: string }, {
        trigger: { serviceType: "mycloudpbx", events: ["user.modified"] },
      });
    }

    span.from = Date.now();
    // Two at a time (each is a Node.js process), while the daemon starts.
    const jobs = [
      ...CASES.map((c) => async () => shown.set(c.name, await render(c.name, true))),
      ...CASES.filter((c) => c.masked).map(
        (c) => async () => maskedShown.set(c.name, await render(c.name, false)),
      ),
    ];
    const worker = async () => {
      for (let job = jobs.shift(); job; job = jobs.shift()) await job();
    };
    const settled = await Promise.allSettled([
      startDaemon({ natsUrl: nats.url, dir: folder, env: { ...ENV, LOG_LEVEL: "info" } }).then(
        (d) => (daemon = d),
      ),
      worker(),
      worker(),
    ]);
    for (const result of settled) if (result.status === "rejected") throw result.reason;

    await publisher.publish(EVENT);
    // One per integration, and the retry.
    await waitFor(() => receiver.requests.length >= CASES.length + 1, {
      timeoutMs: 10_000,
      what: `${CASES.length + 1} requests`,
    });
    span.to = Date.now();
    for (const request of receiver.requests) {
      const name = request.url.split(/[/?]/)[1]!;
      if (name === RETRIED) firstAttempt ??= request;
      else expect(received.has(name), `one request for ${name}`).toBe(false);
      received.set(name, request);
    }
  }, 30_000);

  afterAll(async () => {
    await stopThenCleanUp(
      daemon,
      () => publisher?.close(),
      () => receiver?.close(),
      () => nats?.dispose(),
      () => dir.cleanup(),
    );
  });

  it.each(CASES.map((c) => [c.name, c] as const))("%s", (name, c) => {
    const printed = shown.get(name)!;
    const request = received.get(name);
    expect(request, `the daemon sent ${name}`).toBeDefined();
    const signing = c.webhook.signing as { secret: string | string[] } | undefined;
    const secrets =
      signing === undefined
        ? []
        : Array.isArray(signing.secret)
          ? [SECRETS.signing, SECRETS.nextSigning]
          : [SECRETS.signing];

    const bodyless = c.webhook.format === "query" || c.webhook.method === "GET";
    const wire = normalized(
      asReceived(receiver, request!, bodyless),
      secrets,
      `${name} on the wire`,
    );
    const preview = normalized(
      { ...printed, headers: Object.entries(printed.headers) },
      secrets,
      `${name} as rendered`,
    );
    expect(preview).toEqual(wire);
    // Byte for byte: the body is UTF-8 text, and its length is the one announced.
    const body = printed.body === null ? "" : printed.body;
    expect(request!.bytes.length).toBe(Buffer.byteLength(body, "utf8"));
    expect(request!.bytes.equals(Buffer.from(request!.body, "utf8"))).toBe(true);
    expect(printed.headers["webhook-id"]).toBe(webhookId(name, EVENT.id));
    expect(printed.headers["User-Agent"]).toBe(USER_AGENT);

    // What the client adds and render does not print (docs/receivers.md).
    const added = (n: string) => request!.headers[n];
    expect(added("host")).toBe(new URL(printed.url).host);
    expect(added("connection")).toBe("keep-alive");
    if (printed.body === null && printed.method === "GET") {
      expect(added("content-length")).toBeUndefined();
    } else expect(added("content-length")).toBe(String(Buffer.byteLength(body, "utf8")));
    expect(added("transfer-encoding")).toBeUndefined();

    if (c.masked) {
      // Rendered at another moment: its own times, in form.
      const hidden = maskedShown.get(name)!;
      const at = (request: Printed, what: string) =>
        normalized({ ...request, headers: Object.entries(request.headers) }, [], what);
      const signatures = /v1,\*\*\*\*/g;
      const unsigned = (request: Printed): Printed => ({
        ...request,
        headers: Object.fromEntries(
          Object.entries(request.headers).filter(([n]) => n !== "webhook-signature"),
        ),
      });
      expect(hidden.headers["webhook-signature"]?.match(signatures)).toHaveLength(secrets.length);
      expect(at(unsigned(hidden), `${name} masked`)).toEqual(
        at(unsigned(masked(printed, c.secrets ?? [])), `${name} shown, then masked`),
      );
    }
    for (const secret of c.secrets ?? []) {
      expect(JSON.stringify(maskedShown.get(name) ?? {})).not.toContain(secret);
    }
  });

  it("sends a retry as render prints it too, only its times new", () => {
    const retry = received.get(RETRIED)!;
    expect(firstAttempt).toBeDefined();
    expect(retry).not.toBe(firstAttempt);
    const [first, second] = [firstAttempt!, retry].map((r, i) =>
      normalized(asReceived(receiver, r, false), [SECRETS.signing], `attempt ${i + 1}`),
    );
    expect(second).toEqual(first);
  });
});
