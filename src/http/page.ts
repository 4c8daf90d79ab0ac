/**
 * The status page: the portal's "Integrations" screen, read-only, as one server-rendered
 * HTML document with inline CSS (no scripts, no external assets). Every value is escaped.
 */
import { scopeText } from "../config/shown.js";
import type { LastDelivery } from "../delivery/stats.js";
import type { IntegrationView, StatusView } from "./status.js";

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

const STYLE = `
:root{color-scheme:light dark;--bg:#f6f7f9;--card:#fff;--text:#1f2328;--muted:#656d76;--line:#d8dee4;
--ok:#1a7f37;--ok-bg:#dafbe1;--off:#57606a;--off-bg:#eaeef2;--bad:#cf222e;--bad-bg:#ffebe9;--accent:#0969da}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--card:#161b22;--text:#e6edf3;--muted:#8d96a0;
--line:#30363d;--ok:#3fb950;--ok-bg:#12261e;--off:#8d96a0;--off-bg:#21262d;--bad:#f85149;--bad-bg:#2d1214;--accent:#4493f8}}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:var(--bg);color:var(--text)}
header{background:var(--card);border-bottom:1px solid var(--line)}
.wrap{max-width:80rem;margin:0 auto;padding:1rem 1.25rem}
header .wrap{display:flex;flex-wrap:wrap;align-items:baseline;gap:.25rem 1rem}
h1{font-size:1.35rem;margin:0}h2{font-size:1.05rem;margin:1.5rem 0 .6rem}
.sub{color:var(--muted)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(7.5rem,1fr));gap:.75rem;margin:1rem 0}
.card{background:var(--card);border:1px solid var(--line);border-radius:.5rem;padding:.6rem .8rem}
.card .k{display:block;color:var(--muted);font-size:.78rem;text-transform:uppercase;letter-spacing:.04em}
.card .v{display:block;font-size:1.35rem;font-weight:600;font-variant-numeric:tabular-nums}
.card .d{display:block;color:var(--muted);font-size:.78rem;overflow-wrap:anywhere}
.card.alert{border-color:var(--bad);background:var(--bad-bg)}.card.alert .v{color:var(--bad)}
.panel{background:var(--card);border:1px solid var(--line);border-radius:.5rem;overflow:hidden}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.6rem .75rem;border-bottom:1px solid var(--line);vertical-align:top}
tbody tr:last-child td{border-bottom:0}
th{font-weight:600;font-size:.75rem;color:var(--muted);text-transform:uppercase;letter-spacing:.04em;background:var(--bg)}
.name{font-weight:600}.desc{color:var(--muted);font-size:.85rem;overflow-wrap:anywhere}
.pill{display:inline-block;border-radius:1rem;padding:.05rem .6rem;font-size:.78rem;font-weight:600;white-space:nowrap}
.on{color:var(--ok);background:var(--ok-bg)}.off{color:var(--off);background:var(--off-bg)}
.fail{color:var(--bad);background:var(--bad-bg)}
.chip{display:inline-block;border:1px solid var(--line);border-radius:.3rem;padding:0 .35rem;margin:.1rem .2rem 0 0;font-size:.8rem}
.muted{color:var(--muted)}.bad{color:var(--bad)}
code{font:.82rem/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;overflow-wrap:anywhere}
.counts{font-variant-numeric:tabular-nums;white-space:nowrap}time{white-space:nowrap;font-size:.85rem}
.invalid{border-color:var(--bad)}.invalid li{margin:.35rem 0}
.invalid ul{margin:0;padding:.6rem 1rem .6rem 2rem}
footer{color:var(--muted);font-size:.85rem}
@media (max-width:760px){thead{display:none}table,tbody,tr,td{display:block}
tr{border-bottom:1px solid var(--line);padding:.4rem 0}tbody tr:last-child{border-bottom:0}
td{display:grid;grid-template-columns:7rem minmax(0,1fr);gap:.6rem;border:0;padding:.25rem .75rem}
td::before{content:attr(data-label);font-weight:600;color:var(--muted);font-size:.8rem}
.counts{white-space:normal}}
`;

const OUTCOME_LABELS: Record<LastDelivery["outcome"], string> = {
  delivered: "Delivered",
  retried: "Retrying",
  "dead-lettered": "Dead-lettered",
  skipped: "Skipped",
};

/** "2026-11-28T17:00:00.123Z" → "2026-11-28 17:00:00 UTC": shorter, and wraps cleanly. */
function readableTime(iso: string): string {
  return iso.replace("T", " ").replace(/(\.\d+)?Z$/, " UTC");
}

function lastDeliveryHtml(view: IntegrationView): string {
  const last = view.lastDelivery;
  if (!last) return `<span class="muted">No deliveries yet</span>`;
  const detail = last.status !== null ? `HTTP ${last.status}` : (last.error ?? "");
  const cls = last.outcome === "delivered" ? "on" : last.outcome === "skipped" ? "off" : "fail";
  return `<span class="pill ${cls}">${escapeHtml(OUTCOME_LABELS[last.outcome])}</span> ${escapeHtml(detail)}<br><time class="muted" datetime="${escapeHtml(last.at)}">${escapeHtml(readableTime(last.at))}</time>`;
}

function countsHtml(view: IntegrationView): string {
  const c = view.counts;
  const dead = c["dead-lettered"];
  const deadText = `${dead} dead-lettered`;
  return `<span class="counts">${c.delivered} delivered · ${c.retried} retried<br>${dead ? `<span class="bad">${deadText}</span>` : deadText} · ${c.skipped} skipped${waitingHtml(view)}</span>`;
}

/** Only when some wait: a line per integration would be noise on a quiet page. */
function waitingHtml(view: IntegrationView): string {
  const waiting = view.waiting;
  const held = view.heldUntil
    ? `<br><span class="bad">held until <time datetime="${escapeHtml(view.heldUntil)}">${escapeHtml(readableTime(view.heldUntil))}</time>, as the receiver asked (Retry-After)</span>`
    : "";
  if (!waiting || waiting.retry + waiting.parked === 0) return held;
  return `<br>${waiting.retry} retries · ${waiting.parked} parked waiting${held}`;
}

/** Its file broke since: what runs is the version before, until the file is fixed. */
function lastValidHtml(view: IntegrationView): string {
  return view.fileInvalid ? `<br><span class="pill fail">Last valid version</span>` : "";
}

function row(view: IntegrationView): string {
  // One child per cell: the phone layout puts the label and the value side by side.
  const cell = (label: string, html: string) => `<td data-label="${label}"><div>${html}</div></td>`;
  const description = view.description
    ? `<div class="desc">${escapeHtml(view.description)}</div>`
    : "";
  const events = view.events.map((e) => `<span class="chip">${escapeHtml(e)}</span>`).join("");
  return `<tr>${[
    cell("Name", `<div class="name">${escapeHtml(view.name)}</div>${description}`),
    cell(
      "Status",
      view.enabled
        ? `<span class="pill on">Enabled</span>`
        : `<span class="pill off">Disabled</span>`,
    ),
    cell("Type", escapeHtml(view.type)),
    cell("Trigger", `<div>${escapeHtml(view.serviceType)}</div>${events}`),
    cell("Scope", escapeHtml(scopeText(view.scope))),
    cell("Source", `<code>${escapeHtml(view.file)}</code>${lastValidHtml(view)}`),
    cell("Last delivery", lastDeliveryHtml(view)),
    cell("Counts", countsHtml(view)),
  ].join("")}</tr>`;
}

/** Waiting deliveries no row accounts for: what becomes of them, since it is not at once. */
function unloadedSection(status: StatusView): string {
  const list = status.waitingForUnloaded;
  if (list.length === 0) return "";
  const items = list
    .map(
      (w) =>
        `<li><code>${escapeHtml(w.integration)}</code> ${w.retry} waiting for a retry or replay, ${w.parked} parked</li>`,
    )
    .join("");
  return `<h2>Deliveries waiting for integrations not loaded here (${list.length})</h2>
<p class="muted">Removed, renamed, in a file that is invalid, or not read by this replica yet. They wait while a file with problems may hold the integration and until they are 5 minutes old, and are then skipped (a replay goes back to the dead-letter queue) unless it comes back.</p>
<div class="panel"><ul>${items}</ul></div>`;
}

function invalidSection(status: StatusView): string {
  if (status.invalidFiles.length === 0) return "";
  const problems = status.invalidFiles
    .flatMap((f) => f.problems)
    .map(
      (p) =>
        `<li><code class="bad">${escapeHtml(`${p.file}:${p.line}:${p.column}`)}</code> ${escapeHtml(p.message)}</li>`,
    )
    .join("");
  const notRunning = status.invalidFiles
    .filter((f) => f.notRunning.length > 0)
    .map(
      (f) =>
        `<li><code class="bad">${escapeHtml(f.file)}</code> not running: ${escapeHtml(f.notRunning.join(", "))}</li>`,
    )
    .join("");
  return `<h2 class="bad">Invalid files (${status.invalidFiles.length})</h2>
<p class="muted">Left out until fixed; an integration's last valid version keeps running meanwhile.</p>
<div class="panel invalid"><ul>${problems}${notRunning}</ul></div>`;
}

/** `detail`: a line of HTML under the value, already escaped. */
function card(label: string, value: string | number, alert = false, detail = ""): string {
  const below = detail ? `<span class="d">${detail}</span>` : "";
  return `<div class="card${alert ? " alert" : ""}"><span class="k">${label}</span><span class="v">${escapeHtml(value)}</span>${below}</div>`;
}

/** The digest under the generation: the number is this replica's count, the digest what runs. */
function digestHtml(status: StatusView): string {
  return status.configDigest === null
    ? ""
    : `digest <code title="the digest of the integration files in force">${escapeHtml(status.configDigest)}</code>`;
}

function cards(status: StatusView): string {
  const enabled = status.integrations.filter((i) => i.enabled).length;
  const dead = status.deadLetters;
  return `<div class="cards">${[
    card("Integrations", status.integrations.length),
    card("Enabled", enabled),
    card("Disabled", status.integrations.length - enabled),
    card("Invalid files", status.invalidFiles.length, status.invalidFiles.length > 0),
    card("Dead letters", dead ?? "unknown", dead !== null && dead > 0),
    card("Events waiting", status.eventsPending ?? "unknown"),
    card("Deliveries waiting", status.deliveriesWaiting ?? "unknown"),
    card("Config generation", status.generation, false, digestHtml(status)),
    card(
      "Readiness",
      status.ready ? "Ready" : "Not ready",
      !status.ready,
      status.notReadyReason === null ? "" : escapeHtml(status.notReadyReason),
    ),
  ].join("")}</div>`;
}

export function renderStatusPage(status: StatusView, version: string): string {
  const rows = status.integrations.map(row).join("");
  const empty = `<tr><td colspan="8" class="muted">No integrations loaded.</td></tr>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Integrations · hookswitch</title><style>${STYLE}</style></head>
<body>
<header><div class="wrap"><h1>Integrations</h1><span class="sub">hookswitch ${escapeHtml(version)} · read-only: integrations change through git</span></div></header>
<main class="wrap">
${cards(status)}
<div class="panel"><table><thead><tr><th>Name</th><th>Status</th><th>Type</th><th>Trigger</th><th>Scope</th><th>Source</th><th>Last delivery</th><th>Counts</th></tr></thead>
<tbody>${rows || empty}</tbody></table></div>
${invalidSection(status)}
${unloadedSection(status)}
<footer><p>Integration files read from <code>${escapeHtml(status.configFolder)}</code>.</p>
<p>Counts are this replica's since it started; for the whole deployment, sum each replica's <code>/metrics</code> (as Prometheus does).</p></footer>
</main>
</body></html>`;
}
