/**
 * The status page: the portal's "Integrations" screen, read-only, as one server-rendered
 * HTML document with inline CSS (no scripts, no external assets). Every value is escaped.
 */
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
:root{color-scheme:light dark;--ok:#1a7f37;--off:#6e7781;--bad:#cf222e;--line:#d0d7de}
body{font:14px/1.45 system-ui,sans-serif;margin:0;padding:1rem;max-width:72rem;margin-inline:auto}
h1{font-size:1.4rem;margin:.2rem 0 1rem}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
.summary{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;margin-bottom:1rem}
.summary b{font-variant-numeric:tabular-nums}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.45rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;font-size:.8rem;text-transform:uppercase;letter-spacing:.03em}
.pill{display:inline-block;border-radius:1rem;padding:0 .6rem;font-size:.8rem;color:#fff}
.on{background:var(--ok)}.off{background:var(--off)}.bad{color:var(--bad)}
.muted{color:var(--off)}code{font-size:.85em;word-break:break-all}
ul.problems{margin:.25rem 0;padding-left:1.2rem}
@media (max-width:700px){thead{display:none}tr{display:block;border:1px solid var(--line);border-radius:.5rem;margin:.6rem 0;padding:.3rem}
td{display:flex;gap:.6rem;border:0;padding:.2rem .4rem}td::before{content:attr(data-label);font-weight:600;min-width:7.5rem}}
`;

function scopeText(scope: IntegrationView["scope"]): string {
  return "account" in scope ? `account ${scope.account}` : `service ${scope.service}`;
}

function lastDeliveryText(view: IntegrationView): string {
  const last = view.lastDelivery;
  if (!last) return `<span class="muted">none yet</span>`;
  const detail = last.status !== null ? `HTTP ${last.status}` : (last.error ?? "");
  const cls = last.outcome === "dead-lettered" ? ` class="bad"` : "";
  return `<span${cls}>${escapeHtml(last.outcome)}</span> ${escapeHtml(detail)}<br><span class="muted">${escapeHtml(last.at)}</span>`;
}

function row(view: IntegrationView): string {
  const c = view.counts;
  const cell = (label: string, html: string) => `<td data-label="${label}">${html}</td>`;
  return `<tr>${[
    cell(
      "Name",
      `<b>${escapeHtml(view.name)}</b>${view.description ? `<br><span class="muted">${escapeHtml(view.description)}</span>` : ""}`,
    ),
    cell(
      "Status",
      view.enabled
        ? `<span class="pill on">enabled</span>`
        : `<span class="pill off">disabled</span>`,
    ),
    cell("Type", escapeHtml(view.type)),
    cell("Trigger", `${escapeHtml(view.serviceType)}<br>${view.events.map(escapeHtml).join(", ")}`),
    cell("Scope", escapeHtml(scopeText(view.scope))),
    cell("Source", `<code>${escapeHtml(view.file)}</code>`),
    cell("Last delivery", lastDeliveryText(view)),
    cell(
      "Counts",
      `${c.delivered} delivered · ${c.retried} retried · ${c["dead-lettered"]} dead · ${c.skipped} skipped`,
    ),
  ].join("")}</tr>`;
}

function invalidSection(status: StatusView): string {
  if (status.invalidFiles.length === 0) return "";
  const items = status.invalidFiles
    .map(
      (f) =>
        `<li><code>${escapeHtml(f.file)}</code><ul class="problems">${f.problems
          .map(
            (p) =>
              `<li class="bad"><code>${escapeHtml(`${p.file}:${p.line}:${p.column}`)}</code> ${escapeHtml(p.message)}</li>`,
          )
          .join("")}</ul></li>`,
    )
    .join("");
  return `<h2 class="bad">Invalid files (${status.invalidFiles.length})</h2><p class="muted">Their last valid version, if any, keeps running until they are fixed.</p><ul>${items}</ul>`;
}

export function renderStatusPage(status: StatusView, version: string): string {
  const enabled = status.integrations.filter((i) => i.enabled).length;
  const rows = status.integrations.map(row).join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>hookswitch — Integrations</title><style>${STYLE}</style></head>
<body>
<h1>Integrations</h1>
<div class="summary">
<span><b>${status.integrations.length}</b> integrations</span>
<span><b>${enabled}</b> enabled</span>
<span><b>${status.integrations.length - enabled}</b> disabled</span>
<span${status.invalidFiles.length ? ' class="bad"' : ""}><b>${status.invalidFiles.length}</b> invalid files</span>
<span>dead letters: <b>${status.deadLetters ?? "unknown"}</b></span>
<span>config generation <b>${status.generation}</b></span>
<span>${status.ready ? "ready" : '<span class="bad">not ready</span>'}</span>
</div>
<table><thead><tr><th>Name</th><th>Status</th><th>Type</th><th>Trigger</th><th>Scope</th><th>Source</th><th>Last delivery</th><th>Counts</th></tr></thead>
<tbody>${rows || `<tr><td colspan="8" class="muted">No integrations loaded.</td></tr>`}</tbody></table>
${invalidSection(status)}
<p class="muted">hookswitch ${escapeHtml(version)} · read-only: integrations change through git.</p>
</body></html>`;
}
