// The evidence report as one self-contained HTML page: inline CSS and SVG, no script, no external anything (a
// Content-Security-Policy says so to the browser too). Every number a test or a reader may check against the
// JSON form carries data-metric="<path in the JSON>".
import { escapeHtml, groupDigits } from '../lib/html.js';
import { SEVERITIES } from '../model/alert.js';
import type { EvidenceReport } from './evidence.js';
import { DISTINCT_NAMES_CAP } from './query-tally.js';
import { DECISION_COLOURS, timelineSvg } from './timeline-chart.js';

/** Names longer than this (tunnel payloads) are cut in the table; the cell's hover text has the whole name. */
const NAME_SHOWN = 72;

const shorten = (name: string): string =>
  name.length <= NAME_SHOWN ? name : `${name.slice(0, NAME_SHOWN)}…`;

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
h3 { font-size: 1rem; margin-bottom: .3rem; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.meta td:first-child { width: 16rem; color: #555; } .chart { width: 100%; height: auto; font-size: 11px; }
.legend span { display: inline-block; margin-right: 1rem; } .legend i { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; vertical-align: -1px; }
.flag { font-weight: 600; color: #c92a2a; } .ok { color: #2b8a3e; } .muted { color: #777; }
.critical { color: #a61e4d; font-weight: 600; } .high { color: #c92a2a; font-weight: 600; }
code { font-size: 12px; word-break: break-all; }`;

const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

const text = (value: string | number | null | undefined): string =>
  value === null || value === undefined ? '<span class="muted">–</span>' : escapeHtml(String(value));

/** A number cell; `metric` names its path in the JSON form. */
const num = (value: number, metric?: string): string =>
  `<td class="n"${metric === undefined ? '' : ` data-metric="${escapeHtml(metric)}"`}>${groupDigits(value)}</td>`;

const cell = (value: string | number | null | undefined): string => `<td>${text(value)}</td>`;

function table(headers: readonly string[], rows: readonly string[], empty: string): string {
  if (rows.length === 0) return `<p class="muted">${escapeHtml(empty)}</p>`;
  return `<table><thead><tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
}

export function renderReportHtml(r: EvidenceReport): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dnsward evidence report ${escapeHtml(r.window.since.slice(0, 10))} – ${escapeHtml(r.window.until.slice(0, 10))}</title>
<style>${STYLE}</style></head>
<body>
<h1>dnsward evidence report</h1>
<p class="muted">DNS egress control (AG-404 4.3–4.5, 4.8): policy, allowlists, queries, detections and log completeness
from ${escapeHtml(r.window.since)} to ${escapeHtml(r.window.until)}.</p>
${summary(r)}
${groups(r)}
${queries(r)}
${alerts(r)}
${quarantines(r)}
${completeness(r)}
${policyVersions(r)}
</body></html>
`;
}

function summary(r: EvidenceReport): string {
  const rows = [
    ['Generated', text(r.generatedAt)],
    ['Window', `${text(r.window.since)} – ${text(r.window.until)}`],
    ['Config', text(r.config ?? 'embedded default')],
    ['Store', `${text(r.store.engine)}, schema ${r.store.schemaVersion}`],
    ['Policy version (config as given)', `<code>${text(r.policy.version)}</code>`],
    ['Allowlist hits recorded since', text(r.allowlistTracking.since)],
  ].map(([k, v]) => `<tr><td>${k}</td><td>${v}</td></tr>`);
  const counts = `<tr><td>Groups / allowlist entries</td><td><span data-metric="policy.groups">${r.policy.groups}</span> / <span data-metric="policy.entries">${r.policy.entries}</span></td></tr>
<tr><td>Queries logged</td><td data-metric="queries.total">${groupDigits(r.queries.total)}</td></tr>
<tr><td>Alerts</td><td data-metric="alerts.total">${groupDigits(r.alerts.total)}</td></tr>
<tr><td>Events dropped before the log</td><td data-metric="completeness.dropped" class="${r.completeness.dropped > 0 ? 'flag' : 'ok'}">${groupDigits(r.completeness.dropped)}</td></tr>`;
  return `<h2>Summary</h2><table class="meta"><tbody>${rows.join('\n')}\n${counts}</tbody></table>`;
}

function groups(r: EvidenceReport): string {
  const sections = r.groups.map((g, gi) => {
    const rows = g.entries.map(
      (e, ei) =>
        `<tr><td><code>${text(e.domain)}</code></td>${cell(e.justification)}${cell(e.owner)}${cell(e.added)}<td${e.expired ? ' class="flag"' : ''}>${text(e.expires)}${e.expired ? ' (expired)' : ''}</td>${num(e.hits, `groups.${gi}.entries.${ei}.hits`)}${cell(e.lastHit)}<td${e.stale ? ' class="flag"' : ''}>${e.stale ? 'stale' : ''}</td><td><code>${text(e.source)}</code></td></tr>`,
    );
    const over = g.entries.length > g.cap;
    return `<h3>${text(g.name)}</h3>
<p>tier ${g.tier}, mode <b>${text(g.mode)}</b>, denied names get ${text(g.denyRcode)};
<span data-metric="groups.${gi}.entries.length"${over ? ' class="flag"' : ''}>${g.entries.length}</span> of at most ${g.cap} entries for the tier.</p>
${table(['Domain', 'Justification', 'Owner', 'Added', 'Expires', 'Hits', 'Last hit', `No traffic ${r.allowlistTracking.staleAfterDays} d`, 'Source'], rows, 'No allowlist entries: every name is denied.')}`;
  });
  return `<h2>Groups and allowlists</h2>${sections.join('\n')}`;
}

function queries(r: EvidenceReport): string {
  const q = r.queries;
  const legend = DECISION_COLOURS.filter(([d]) => (q.byDecision[d] ?? 0) > 0)
    .map(
      ([d, colour]) =>
        `<span><i style="background:${colour}"></i>${escapeHtml(d)} <b data-metric="queries.byDecision.${d}">${groupDigits(q.byDecision[d] ?? 0)}</b></span>`,
    )
    .join('');
  const domains = q.topDeniedDomains.map(
    (d, i) =>
      `<tr><td><code>${text(d.domain)}</code></td>${num(d.count, `queries.topDeniedDomains.${i}.count`)}${num(d.names, `queries.topDeniedDomains.${i}.names`)}${num(d.agents)}</tr>`,
  );
  const names = q.topDeniedNames.map(
    (n, i) =>
      `<tr><td title="${escapeHtml(n.name)}"><code>${text(shorten(n.name))}</code></td>${num(n.count, `queries.topDeniedNames.${i}.count`)}${num(n.agents)}</tr>`,
  );
  const agents = q.topDeniedAgents.map(
    (a, i) =>
      `<tr>${cell(a.agentId)}${cell(a.group)}${cell(a.namespace === null ? null : `${a.namespace}/${a.pod ?? ''}`)}${num(a.count, `queries.topDeniedAgents.${i}.count`)}</tr>`,
  );
  return `<h2>Queries</h2>
<p>Queries per ${q.bucket} by decision (hover a bar for its counts).</p>
<p class="legend">${legend}</p>
${timelineSvg(q.timeline, q.bucket)}
${q.topApproximate ? '<p class="muted">The window held very many distinct names: counts below are lower bounds.</p>' : ''}
<h3>Most denied domains</h3>
${table(['Registrable domain', 'Denied or would-deny', `Distinct names (up to ${groupDigits(DISTINCT_NAMES_CAP)})`, 'Agents'], domains, 'No name was denied in the window.')}
<h3>Most denied names</h3>
${table(['Name', 'Denied or would-deny', 'Agents'], names, 'No name was denied in the window.')}
<h3>Agents with the most denied queries</h3>
${table(['Agent', 'Group', 'Pod', 'Denied or would-deny'], agents, 'No agent was denied in the window.')}`;
}

function alerts(r: EvidenceReport): string {
  const bySeverity = [...SEVERITIES].reverse().map((s) => {
    const e = r.alerts.bySeverity[s];
    return `<tr><td class="${s}">${s}</td>${num(e.alerts, `alerts.bySeverity.${s}.alerts`)}${num(e.forwarded, `alerts.bySeverity.${s}.forwarded`)}${num(e.blocked, `alerts.bySeverity.${s}.blocked`)}${num(e.bytesLeaked, `alerts.bySeverity.${s}.bytesLeaked`)}${num(e.bytesAttempted, `alerts.bySeverity.${s}.bytesAttempted`)}</tr>`;
  });
  const items = r.alerts.items.map(
    (a) =>
      `<tr>${num(a.id)}<td class="${a.severity}">${a.severity}</td>${cell(a.rule)}${cell(a.agentId)}${cell(a.pod === null ? null : `${a.namespace ?? ''}/${a.pod}`)}<td><code>${text(a.baseDomain)}</code></td>${cell(a.firstSeen)}${cell(a.lastSeen)}${num(a.count)}${cell(a.exposure)}${num(a.bytesLeaked)}${cell(a.status)}</tr>`,
  );
  return `<h2>Detections</h2>
<p>Bytes leaked counts what reached an upstream (exposure <i>forwarded</i>); <i>blocked</i> alerts were denied before
leaving. Total leaked: <b data-metric="alerts.bytesLeaked">${groupDigits(r.alerts.bytesLeaked)}</b> bytes.</p>
${table(['Severity', 'Alerts', 'Forwarded', 'Blocked', 'Bytes leaked', 'Bytes attempted'], bySeverity, '')}
${table(['Id', 'Severity', 'Rule', 'Agent', 'Pod', 'Base domain', 'First seen', 'Last seen', 'Queries', 'Exposure', 'Bytes leaked', 'Status'], items, 'No alert in the window.')}`;
}

function quarantines(r: EvidenceReport): string {
  const rows = r.quarantines.map(
    (q) =>
      `<tr>${num(q.id)}${cell(q.agentId)}${cell(q.group)}${cell(q.scope)}<td><code>${text(q.baseDomain)}</code></td>${cell(q.createdAt)}${cell(q.until)}${cell(q.releasedAt)}${cell(q.reason)}</tr>`,
  );
  return `<h2>Quarantines</h2>
<p><span data-metric="quarantines.length">${r.quarantines.length}</span> in force during the window.</p>
${table(['Id', 'Agent', 'Group', 'Scope', 'Base domain', 'From', 'Until', 'Released', 'Reason'], rows, 'No quarantine in the window.')}`;
}

function completeness(r: EvidenceReport): string {
  const c = r.completeness;
  const rows = c.byInstance.map(
    (d) => `<tr>${cell(d.instance || '(unnamed)')}${num(d.dropped)}${cell(d.lastDrop)}</tr>`,
  );
  return `<h2>Log completeness</h2>
<p><b data-metric="completeness.logged">${groupDigits(c.logged)}</b> queries logged,
<b data-metric="completeness.dropped">${groupDigits(c.dropped)}</b> events dropped before the log
(${(c.loggedShare * 100).toFixed(4)} % logged). Drops are counted, never silent.</p>
${table(['Replica', 'Dropped', 'Last drop'], rows, 'No event was dropped in the window.')}`;
}

function policyVersions(r: EvidenceReport): string {
  const rows = r.policyVersions.map(
    (v) =>
      `<tr><td><code>${text(v.version)}</code></td>${cell(v.loadedAt)}${cell(v.instance)}${cell(v.trigger)}${cell(
        v.groups.map((g) => `${g.name} (tier ${g.tier}, ${g.mode}, ${g.entries} entries)`).join('; '),
      )}</tr>`,
  );
  return `<h2>Policy versions in force</h2>
<p>Each time a replica put a policy in force (start, or a reload that changed it), oldest first; the first row is the
policy in force when the window opened.</p>
${table(['Version', 'In force from', 'Replica', 'Trigger', 'Groups'], rows, 'No policy version recorded (a server of this version has not run on this store yet).')}`;
}
