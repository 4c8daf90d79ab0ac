/**
 * The status page: its HTML as text (every value escaped, the cards that alert), then in a real
 * headless Chromium. Screenshots go to reports/ on every run and to docs/status-page.png only
 * with UPDATE_SCREENSHOT=1, so a test run never dirties the tree.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { escapeHtml, renderStatusPage } from "../../src/http/page.js";
import type { IntegrationView, StatusView } from "../../src/http/status.js";
import { REPO, spawnCli, type Daemon } from "../support/cli.js";
import { startNatsServer, type NatsServer } from "../support/nats-server.js";
import { startReceiver, type Receiver } from "../support/receiver.js";
import {
  connectPublisher,
  makeEvent,
  startDaemon,
  stopThenCleanUp,
  tempDir,
  writeIntegration,
  type Publisher,
  type RunningDaemon,
} from "../support/daemon.js";
import { freePort, waitFor } from "../support/wait.js";

const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
const HAS_CHROMIUM = existsSync(CHROMIUM);
const SERVICE = "3f0c6f8e-6a0b-4a39-9b1e-0d6f1f3f4a11";
const XSS = `<script>window.pwned=1</script><img src=x onerror="window.pwned=1">`;
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

if (!HAS_CHROMIUM) {
  console.warn(`status page browser tests skipped: no Chromium at ${CHROMIUM} (set CHROMIUM_BIN)`);
}

function launchBrowser(): Promise<Browser> {
  // Playwright gives every launch a fresh temporary profile (user data dir).
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(join(REPO, "reports"), { recursive: true });
  const png = await page.screenshot({ fullPage: true });
  writeFileSync(join(REPO, "reports", name), png);
  if (process.env.UPDATE_SCREENSHOT === "1") writeFileSync(join(REPO, "docs", name), png);
}

/** The page's layout width against the viewport (the test runs without DOM types). */
async function widths(page: Page): Promise<{ scrollWidth: number; innerWidth: number }> {
  return page.evaluate<{ scrollWidth: number; innerWidth: number }>(
    "({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })",
  );
}

interface ApiView {
  invalidFiles: { file: string; problems: { file: string; line: number; column: number }[] }[];
}

const MARKUP = `<img src=x onerror="alert('&')">`;
const MARKUP_AS_TEXT = "&lt;img src=x onerror=&quot;alert(&#39;&amp;&#39;)&quot;&gt;";

function integrationView(fields: Partial<IntegrationView> = {}): IntegrationView {
  return {
    name: "crm",
    description: null,
    type: "webhook",
    serviceType: "mycloudpbx",
    events: ["user.created"],
    scope: { account: "acme" },
    enabled: true,
    file: "crm.yaml",
    fileInvalid: false,
    lastDelivery: null,
    counts: { delivered: 0, retried: 0, "dead-lettered": 0, skipped: 0 },
    waiting: null,
    heldUntil: null,
    ...fields,
  };
}

function statusView(fields: Partial<StatusView> = {}): StatusView {
  return {
    version: "0.1.0",
    revision: "4f2a9c1e0b7d3a5f6e8c9b0a1d2e3f4a5b6c7d8e",
    generation: 1,
    configDigest: "0123456789ab",
    configFolder: "/srv/git/.worktrees/4f2a/integrations.d",
    lastReloadSuccessful: true,
    ready: true,
    notReadyReason: null,
    integrations: [integrationView()],
    invalidFiles: [],
    deadLetters: 0,
    eventsPending: 0,
    deliveriesWaiting: 0,
    waitingForUnloaded: [],
    ...fields,
  };
}

function withLastDelivery(error: string, at = "2026-11-29T12:00:00.000Z"): StatusView {
  const lastDelivery = { at, outcome: "dead-lettered" as const, status: null, error };
  return statusView({ integrations: [integrationView({ lastDelivery })] });
}

function withProblem(file: string, message: string): StatusView {
  return statusView({
    invalidFiles: [{ file, problems: [{ file, line: 3, column: 1, message }], notRunning: [] }],
  });
}

/** The labels of the cards drawn as alerts. */
function alertCards(html: string): string[] {
  return [...html.matchAll(/<div class="card alert"><span class="k">([^<]+)</g)].map((m) => m[1]!);
}

describe("the status page's HTML", () => {
  it.each([
    ["&", "&amp;"],
    ["<", "&lt;"],
    [">", "&gt;"],
    ['"', "&quot;"],
    ["'", "&#39;"],
    ["&amp;", "&amp;amp;"],
    ["plain text, 2 words", "plain text, 2 words"],
    [42, "42"],
  ])("escapes %j as %j", (value, escaped) => {
    expect(escapeHtml(value)).toBe(escaped);
  });

  it.each<[string, StatusView, string?]>([
    ["an integration's name", statusView({ integrations: [integrationView({ name: MARKUP })] })],
    ["its description", statusView({ integrations: [integrationView({ description: MARKUP })] })],
    ["its type", statusView({ integrations: [integrationView({ type: MARKUP })] })],
    ["its service type", statusView({ integrations: [integrationView({ serviceType: MARKUP })] })],
    ["an event's name", statusView({ integrations: [integrationView({ events: [MARKUP] })] })],
    [
      "its account",
      statusView({ integrations: [integrationView({ scope: { account: MARKUP } })] }),
    ],
    [
      "its service",
      statusView({ integrations: [integrationView({ scope: { service: MARKUP } })] }),
    ],
    ["its file name", statusView({ integrations: [integrationView({ file: MARKUP })] })],
    ["a delivery's error", withLastDelivery(MARKUP)],
    ["a delivery's time", withLastDelivery("timeout", MARKUP)],
    ["an invalid file's name", withProblem(MARKUP, "unknown key")],
    ["a problem's message", withProblem("broken.yaml", MARKUP)],
    ["the version", statusView(), MARKUP],
    ["the integrations folder", statusView({ configFolder: MARKUP })],
    ["why it is not ready", statusView({ ready: false, notReadyReason: MARKUP })],
  ])("shows %s as text, never as markup", (_, status, version = "0.1.0") => {
    const html = renderStatusPage(status, version);
    expect(html).not.toContain("<img");
    expect(html).toContain(MARKUP_AS_TEXT);
  });

  it.each<[string, string[], Partial<StatusView>]>([
    ["a quiet, ready replica", [], {}],
    ["dead letters not read yet", [], { deadLetters: null }],
    ["one dead letter", ["Dead letters"], { deadLetters: 1 }],
    ["an invalid file", ["Invalid files"], withProblem("broken.yaml", "unknown key")],
    [
      "a replica not ready",
      ["Readiness"],
      { ready: false, notReadyReason: "not connected to NATS" },
    ],
  ])("alerts, for %s, on the cards %j", (_, alerts, fields) => {
    expect(alertCards(renderStatusPage(statusView(fields), "0.1.0"))).toEqual(alerts);
  });

  it("says under its readiness why it is not ready", () => {
    const html = renderStatusPage(
      statusView({ ready: false, notReadyReason: "/srv/integrations.d does not exist" }),
      "1",
    );
    expect(html).toContain(
      `<span class="v">Not ready</span><span class="d">/srv/integrations.d does not exist</span>`,
    );
  });

  it.each<[string, string | null, Partial<IntegrationView>]>([
    ["not read yet", null, { waiting: null }],
    ["none waiting", null, { waiting: { retry: 0, parked: 0 } }],
    ["retries waiting", "2 retries · 0 parked waiting", { waiting: { retry: 2, parked: 0 } }],
    ["parked deliveries", "0 retries · 3 parked waiting", { waiting: { retry: 0, parked: 3 } }],
  ])("shows an integration's deliveries waiting, %s, as %j", (_, line, fields) => {
    const html = renderStatusPage(statusView({ integrations: [integrationView(fields)] }), "1");
    const shown = /<br>(\d+ retries · \d+ parked waiting)/.exec(html)?.[1] ?? null;
    expect(shown).toBe(line);
  });

  it("shows until when an integration is held back, beside what waits or alone", () => {
    const heldUntil = "2026-12-03T10:00:00.000Z";
    const alone = renderStatusPage(
      statusView({ integrations: [integrationView({ heldUntil })] }),
      "1",
    );
    expect(alone).toMatch(
      /<br><span class="bad">held until <time datetime="2026-12-03T10:00:00.000Z">[^<]+<\/time>, as the receiver asked \(Retry-After\)<\/span>/,
    );
    const withWaiting = integrationView({ heldUntil, waiting: { retry: 1, parked: 40 } });
    const html = renderStatusPage(statusView({ integrations: [withWaiting] }), "1");
    expect(html).toMatch(/1 retries · 40 parked waiting<br><span class="bad">held until/);
    expect(renderStatusPage(statusView(), "1")).not.toContain("held until");
  });

  it("marks an integration that runs its file's last valid version", () => {
    const stale = integrationView({ fileInvalid: true });
    expect(renderStatusPage(statusView({ integrations: [stale] }), "1")).toContain(
      `<code>crm.yaml</code><br><span class="pill fail">Last valid version</span>`,
    );
    expect(renderStatusPage(statusView(), "1")).not.toContain("Last valid version");
  });

  it("names the integrations an invalid file holds back, valid documents' too", () => {
    const html = renderStatusPage(
      statusView({
        invalidFiles: [
          {
            file: "crm.yaml",
            problems: [{ file: "crm.yaml", line: 9, column: 3, message: "unknown key" }],
            notRunning: ["crm", "crm-audit", "<img src=x onerror=alert(1)>"],
          },
        ],
      }),
      "1",
    );
    // Names read from a file that is invalid may be anything: escaped like all else.
    expect(html).toContain(
      `<code class="bad">crm.yaml</code> not running: crm, crm-audit, &lt;img src=x onerror=alert(1)&gt;</li>`,
    );
  });

  it("lists deliveries waiting for integrations not loaded here, and what becomes of them", () => {
    const waitingForUnloaded = [{ integration: "<gone>", retry: 30, parked: 2 }];
    const html = renderStatusPage(statusView({ waitingForUnloaded }), "1");
    expect(html).toContain("<h2>Deliveries waiting for integrations not loaded here (1)</h2>");
    expect(html).toContain(
      "<li><code>&lt;gone&gt;</code> 30 waiting for a retry or replay, 2 parked</li>",
    );
    expect(html).toMatch(/until they are 5 minutes old, and are then skipped/);
    expect(renderStatusPage(statusView(), "1")).not.toContain("not loaded here");
  });

  it("shows the configuration digest under the generation, and the folder read", () => {
    const html = renderStatusPage(statusView({ generation: 7 }), "1");
    expect(html).toMatch(
      /<span class="k">Config generation<\/span><span class="v">7<\/span><span class="d">digest <code[^>]*>0123456789ab<\/code><\/span>/,
    );
    expect(html).toContain("<code>/srv/git/.worktrees/4f2a/integrations.d</code>");
  });

  it("lists no integrations held back for an invalid file that holds none back", () => {
    const html = renderStatusPage(withProblem("crm.yaml", "unknown key"), "1");
    expect(html).toContain("unknown key</li>");
    expect(html).not.toContain("not running:");
  });

  it.each<[string, Partial<StatusView>]>([
    ["Dead letters", { deadLetters: null }],
    ["Events waiting", { eventsPending: null }],
    ["Deliveries waiting", { deliveriesWaiting: null }],
  ])("shows the card %s as unknown, not 0, before the figure is read", (label, fields) => {
    const html = renderStatusPage(statusView(fields), "1");
    expect(html).toContain(`<span class="k">${label}</span><span class="v">unknown</span>`);
  });

  it("shows no digest before the first load", () => {
    const html = renderStatusPage(statusView({ configDigest: null }), "1");
    expect(html).not.toContain("digest <code");
  });

  it.each([
    [0, "0 dead-lettered"],
    [2, '<span class="bad">2 dead-lettered</span>'],
  ])("marks %i dead-lettered deliveries as %j", (dead, shown) => {
    const counts = { delivered: 1, retried: 0, "dead-lettered": dead, skipped: 0 };
    const html = renderStatusPage(statusView({ integrations: [integrationView({ counts })] }), "1");
    expect(html).toContain(`<br>${shown} · 0 skipped`);
  });
});

/** The page's text as a reader sees it: no style, no tags, runs of white space as one. */
function textOf(html: string): string {
  return html
    .replace(/<style>[\s\S]*<\/style>/, "")
    .replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ");
}

describe("what the status page says", () => {
  const at = "2026-11-28T17:00:00.123Z";
  const delivery = (outcome: "delivered" | "retried" | "dead-lettered" | "skipped") => ({
    at,
    outcome,
    status: outcome === "skipped" ? null : outcome === "delivered" ? 200 : 503,
    error: outcome === "skipped" ? "integration disabled" : null,
  });

  it("counts integrations in its cards, enabled and disabled apart, beside what waits", () => {
    const integrations = [
      integrationView({ name: "a" }),
      integrationView({ name: "b" }),
      integrationView({ name: "c", enabled: false }),
    ];
    const fields = { integrations, deadLetters: 4, eventsPending: 12, deliveriesWaiting: 5 };
    const text = textOf(renderStatusPage(statusView({ ...fields, generation: 3 }), "1"));
    expect(text).toContain(
      " Integrations 3 Enabled 2 Disabled 1 Invalid files 0 Dead letters 4 Events waiting 12 " +
        "Deliveries waiting 5 Config generation 3 digest 0123456789ab Readiness Ready ",
    );
  });

  it.each([
    ["delivered", "on", "Delivered HTTP 200"],
    ["retried", "fail", "Retrying HTTP 503"],
    ["dead-lettered", "fail", "Dead-lettered HTTP 503"],
    ["skipped", "off", "Skipped integration disabled"],
  ] as const)(
    "shows a last delivery %s as a %s pill: %j, and its time in UTC",
    (outcome, pill, said) => {
      const integrations = [integrationView({ lastDelivery: delivery(outcome) })];
      const html = renderStatusPage(statusView({ integrations }), "1");
      expect(html).toContain(`<span class="pill ${pill}">`);
      expect(textOf(html)).toContain(` ${said} 2026-11-28 17:00:00 UTC `);
    },
  );

  it("says so where nothing was delivered or loaded yet", () => {
    expect(textOf(renderStatusPage(statusView(), "1"))).toContain(" No deliveries yet ");
    const empty = renderStatusPage(statusView({ integrations: [] }), "1");
    expect(textOf(empty)).toContain(" No integrations loaded. ");
  });

  it("labels every cell of a row, for the layout on a phone", () => {
    const html = renderStatusPage(statusView(), "1");
    const labels = [...html.matchAll(/<td data-label="([^"]*)">/g)].map((m) => m[1]);
    expect(labels).toEqual([
      "Name",
      "Status",
      "Type",
      "Trigger",
      "Scope",
      "Source",
      "Last delivery",
      "Counts",
    ]);
  });

  it("shows an integration's row as its cells say it", () => {
    const view = integrationView({
      description: "CRM feed",
      events: ["user.created", "user.deleted"],
      fileInvalid: true,
    });
    const text = textOf(renderStatusPage(statusView({ integrations: [view] }), "1"));
    expect(text).toContain(
      " crm CRM feed Enabled webhook mycloudpbx user.created user.deleted account acme crm.yaml Last valid version ",
    );
  });
});

describe.skipIf(!HAS_CHROMIUM)("the status page in a browser", () => {
  let nats: NatsServer;
  let receiver: Receiver;
  let publisher: Publisher;
  let dir: ReturnType<typeof tempDir>;
  let daemon: RunningDaemon;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    nats = await startNatsServer();
    receiver = await startReceiver((req) =>
      req.url.startsWith("/tickets") ? { status: 422, body: "unknown queue" } : undefined,
    );
    publisher = await connectPublisher(nats.url);
    dir = tempDir();
    writeIntegration(
      dir.path,
      "crm-wellness-check",
      { url: `${receiver.url}/crm` },
      {
        description: "Callback request in the CRM for every new extension",
        trigger: { serviceType: "mycloudpbx", events: ["user.created"] },
      },
    );
    writeIntegration(
      dir.path,
      "billing-sync",
      { url: `${receiver.url}/billing` },
      { enabled: false, scope: { service: SERVICE } },
    );
    writeIntegration(
      dir.path,
      "ticketing",
      { url: `${receiver.url}/tickets` },
      { description: XSS },
    );
    writeFileSync(
      join(dir.path, "broken.yaml"),
      "apiVersion: hookswitch/v1\nname: broken\nscope: { account: acme }\ncolour: blue\n",
    );
    daemon = await startDaemon({ natsUrl: nats.url, dir: dir.path });
    await publisher.publish(makeEvent());
    await waitFor(() => receiver.requests.length >= 2, { what: "two webhooks" });
    await waitFor(
      async () => {
        const api = (await (await fetch(`${daemon.http}/api/integrations`)).json()) as {
          deadLetters: number | null;
        };
        return api.deadLetters === 1;
      },
      { what: "the dead letter on the status view" },
    );
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${daemon.http}/`);
  });
  afterAll(async () => {
    await stopThenCleanUp(
      daemon,
      () => browser?.close(),
      () => publisher.close(),
      () => receiver.close(),
      () => nats.dispose(),
      () => dir.cleanup(),
    );
  });

  it("shows every integration with its state, trigger, scope, source and deliveries", async () => {
    const text = await page.locator("body").innerText();
    for (const name of ["crm-wellness-check", "billing-sync", "ticketing"]) {
      expect(text).toContain(name);
    }
    const row = (name: string) => page.locator("tr", { hasText: name }).innerText();
    const crm = await row("crm-wellness-check");
    expect(crm).toContain("Enabled");
    expect(crm).toContain("user.created");
    expect(crm).toContain("mycloudpbx");
    expect(crm).toContain("account acme");
    expect(crm).toContain("crm-wellness-check.yaml");
    expect(crm).toMatch(/Delivered\s+HTTP 200/);
    expect(crm).toMatch(/1 delivered/);
    const billing = await row("billing-sync");
    expect(billing).toContain("Disabled");
    expect(billing).toContain(`service ${SERVICE}`);
    expect(billing).toContain("No deliveries yet");
    const ticketing = await row("ticketing");
    expect(ticketing).toMatch(/Dead-lettered\s+HTTP 422/);
    expect(ticketing).toMatch(/1 dead-lettered/);
    expect(text).toMatch(/Dead letters\s*1/i);
  });

  it("lists the invalid file with file:line:col and its message", async () => {
    const api = (await (await fetch(`${daemon.http}/api/integrations`)).json()) as ApiView;
    const problem = api.invalidFiles[0]!.problems[0]!;
    const text = await page.locator("body").innerText();
    expect(text).toContain(`${problem.file}:${problem.line}:${problem.column}`);
    expect(text).toMatch(/colour/);
  });

  it("shows injected markup as text and never runs it", async () => {
    await page.waitForTimeout(200); // time for an <img onerror> to fire, were there one
    expect(await page.evaluate("typeof window.pwned")).toBe("undefined");
    expect(await page.locator("script").count()).toBe(0);
    expect(await page.locator("img").count()).toBe(0);
    expect(await page.locator("tr", { hasText: "ticketing" }).innerText()).toContain(XSS);
  });

  it("fits a phone screen without horizontal scrolling", async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await phone.goto(`${daemon.http}/`);
    const { scrollWidth, innerWidth } = await widths(phone);
    expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
    expect(await phone.locator("body").innerText()).toContain("billing-sync");
    mkdirSync(join(REPO, "reports"), { recursive: true });
    writeFileSync(
      join(REPO, "reports", "status-page-phone.png"),
      await phone.screenshot({ fullPage: true }),
    );
    await phone.close();
  });

  it("fits a phone screen when it says why it is not ready, a long path included", async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const folder = `/srv/git/.worktrees/${"8c2e41d0b5f3a7e96c1d2f4b8a0e7c3d5f9b1a26"}/integrations.d`;
    const status = statusView({ ready: false, notReadyReason: `${folder} does not exist` });
    await phone.setContent(renderStatusPage(status, "0.1.0"));
    const { scrollWidth, innerWidth } = await widths(phone);
    expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
    expect(await phone.locator(".card.alert").innerText()).toContain("does not exist");
    await phone.close();
  });

  it("renders at desktop width without horizontal scrolling", async () => {
    const { scrollWidth, innerWidth } = await widths(page);
    expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
    mkdirSync(join(REPO, "reports"), { recursive: true });
    writeFileSync(
      join(REPO, "reports", "status-page-test.png"),
      await page.screenshot({ fullPage: true }),
    );
  });
});

describe.skipIf(!HAS_CHROMIUM || process.env.UPDATE_SCREENSHOT !== "1")(
  "the status page screenshot for the docs",
  () => {
    it("is taken from a realistic set of integrations", async () => {
      const nats = await startNatsServer();
      const receiver = await startReceiver((req) =>
        req.url.startsWith("/tickets") ? { status: 410, body: "gone" } : undefined,
      );
      const publisher = await connectPublisher(nats.url);
      const home = tempDir();
      let daemon: Daemon | undefined;
      let browser: Browser | undefined;
      try {
        // Run from the temp folder with a relative --dir, so the page shows the paths an
        // operator would see (integrations.d/…), not this machine's temp folders.
        mkdirSync(join(home.path, "integrations.d"));
        writeDocsIntegrations(join(home.path, "integrations.d"), receiver.url);
        const port = await freePort();
        const http = `http://127.0.0.1:${port}`;
        daemon = spawnCli(
          [
            "run",
            "--dir",
            "integrations.d",
            "--nats",
            nats.url,
            "--http-addr",
            `127.0.0.1:${port}`,
          ],
          { cwd: home.path },
        );
        await waitFor(
          () =>
            fetch(`${http}/readyz`).then(
              (r) => r.ok,
              () => false,
            ),
          {
            timeoutMs: 20_000,
            what: "daemon readiness",
          },
        );
        await publisher.publish(makeEvent({ serviceUuid: SERVICE }));
        await publisher.publish(makeEvent({ type: "user.deleted", serviceUuid: SERVICE }));
        await waitFor(() => receiver.requests.length >= 4, { what: "the webhooks" });
        await waitFor(
          async () => {
            const api = (await (await fetch(`${http}/api/integrations`)).json()) as {
              deadLetters: number;
              eventsPending: number | null;
            };
            // The backlog is read every 5 s: shown once read, not as "unknown".
            return api.deadLetters >= 1 && api.eventsPending !== null;
          },
          { timeoutMs: 15_000, what: "the dead letter and the backlog read" },
        );
        browser = await launchBrowser();
        const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
        await page.goto(`${http}/`);
        // The footer names the folder's real path: in the docs, one a deployment would have
        // rather than this test's temporary folder.
        await page.evaluate(
          `document.querySelector("footer code").textContent = "/etc/hookswitch/integrations.d"`,
        );
        await screenshot(page, "status-page.png");
      } finally {
        await browser?.close();
        daemon?.signal("SIGTERM");
        await daemon?.exited;
        await publisher.close();
        await receiver.close();
        await nats.dispose();
        home.cleanup();
      }
    });
  },
);

function writeDocsIntegrations(dir: string, url: string): void {
  writeIntegration(
    dir,
    "crm-wellness-check",
    { url: `${url}/crm` },
    {
      description: "Callback request in the CRM for every new extension",
      trigger: { serviceType: "mycloudpbx", events: ["user.created"] },
    },
  );
  writeIntegration(
    dir,
    "billing-sync",
    { url: `${url}/billing` },
    { description: "Keeps billing seats in step", scope: { service: SERVICE } },
  );
  writeIntegration(
    dir,
    "helpdesk-tickets",
    { url: `${url}/tickets` },
    {
      description: "Opens a ticket when a user is removed",
      trigger: { serviceType: "mycloudpbx", events: ["user.deleted"] },
    },
  );
  writeIntegration(
    dir,
    "directory-export",
    { url: `${url}/directory` },
    { enabled: false, description: "Paused during the directory migration" },
  );
  writeFileSync(
    join(dir, "wallboard.yaml"),
    "apiVersion: hookswitch/v1\nname: wallboard\nscope: { account: acme }\ntrigger:\n  serviceType: mycloudpbx\n  events: [user.created]\nwebhook:\n  url: https://wallboard.example.com/hooks\n  methd: POST\n",
  );
}
