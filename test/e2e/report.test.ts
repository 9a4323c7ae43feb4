// `dnsward report` on a real run: a dnsward in front of a real NSD answers dig (allowed, denied, audit-mode
// would-deny), a replayed iodine capture raises alerts, an allowlist edit reloads the policy; then the report's
// JSON is checked against what happened, and its HTML opened in headless Chromium: no console error, no request
// but the page itself, every number on the page equal to the JSON's, text from the allowlist shown escaped.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { pathToFileURL } from 'node:url';
import type { EvidenceReport } from '../../src/report/evidence.js';
import { visitPage } from '../helpers/chromium.js';
import { dig } from '../helpers/dig.js';
import { REPO_ROOT, startDnsward, type Dnsward } from '../helpers/dnsward.js';
import { startNsd, type Nsd } from '../helpers/nsd.js';
import { waitFor } from '../helpers/processes.js';

const run = promisify(execFile);
const ZONE = 'report.example';

function allowlist(extra = ''): string {
  return `entries:
  - domain: api.${ZONE}
    justification: "LLM calls <b>not bold</b> & more (T-1)"
    owner: platform-ai
    added: 2026-01-01
  - domain: old.${ZONE}
    justification: "retired vendor (T-2)"
    owner: platform-ai
    added: 2025-01-01
    expires: 2025-06-01
${extra}`;
}

async function dnsward(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd: REPO_ROOT,
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

/** The JSON value at a data-metric path ("alerts.bySeverity.high.alerts", "groups.0.entries.length"). */
function at(report: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown>)[key], report);
}

describe('dnsward report', () => {
  let nsd: Nsd;
  let server: Dnsward;
  let sent = 0;
  const started: { stop(): Promise<void> }[] = [];

  before(async () => {
    nsd = await startNsd(ZONE, ['api A 192.0.2.10', 'docs A 192.0.2.11']);
    started.push(nsd);
    server = await startDnsward(
      {
        upstreams: { default: [`127.0.0.1:${nsd.port}`] },
        identity: { defaultGroup: 'agents' },
        groups: [
          { name: 'ops', tier: 2, mode: 'audit', clients: [{ cidr: '127.0.0.2/32', agent: 'ops-agent' }] },
          {
            name: 'agents',
            tier: 3,
            clients: [{ cidr: '127.0.0.0/8', agent: 'captured-agent' }],
            allowlists: ['allow.yaml'],
          },
        ],
      },
      { 'allow.yaml': allowlist() },
    );
    started.push(server);
    for (let i = 0; i < 3; i++) assert.equal((await dig(server.port, `api.${ZONE}`)).status, 'NOERROR');
    assert.equal((await dig(server.port, `nope.${ZONE}`)).status, 'NXDOMAIN');
    assert.equal((await dig(server.port, `docs.${ZONE}`, { extra: ['-b', '127.0.0.2'] })).status, 'NOERROR');
    const replay = JSON.parse(
      await dnsward(
        'replay',
        'fixtures/iodine-tunnel.pcap',
        '--live',
        `127.0.0.1:${server.port}`,
        '--max',
        '--format',
        'json',
      ),
    ) as { live: { sent: number; lost: number } };
    assert.equal(replay.live.lost, 0);
    sent = 5 + replay.live.sent;
    // an allowlist edit: the file watcher reloads, a second policy version comes into force
    writeFileSync(
      join(server.dir, 'allow.yaml'),
      allowlist(`  - domain: docs.${ZONE}
    justification: "docs lookups (T-3)"
    owner: platform-ai
    added: 2026-11-01
`),
    );
    await waitFor(() => /"msg":"policy reloaded"/.test(server.output()), 10_000, 'the reload');
    // SIGTERM flushes the queue: every query, hit and alert is in the database
    await server.stop();
  });

  after(async () => {
    // stop() is a no-op for the dnsward before() stopped; one it left running when it failed midway is stopped here
    for (const proc of started.reverse()) await proc.stop();
  });

  it('the JSON form holds what happened: queries by decision, hits, stale and expired entries, alerts, versions', async () => {
    const report = JSON.parse(
      await dnsward(
        'report',
        '--config',
        server.configPath,
        '--db',
        server.dbPath,
        '--since',
        '1h',
        '--json',
      ),
    ) as EvidenceReport;
    assert.equal(report.queries.total, sent);
    assert.equal(report.queries.byDecision.allow, 3);
    assert.equal(report.queries.byDecision['would-deny'], 1);
    assert.equal(report.completeness.logged, sent);
    assert.equal(report.completeness.dropped, 0);
    assert.equal(report.completeness.loggedShare, 1);
    assert.equal(
      report.queries.timeline.reduce((sum, b) => sum + Object.values(b.counts).reduce((s, n) => s + n, 0), 0),
      sent,
    );
    assert.equal(report.queries.bucket, 'hour');
    const [topDomain] = report.queries.topDeniedDomains;
    assert.ok(topDomain && topDomain.names > 10, 'the tunnel: many distinct names below one domain');
    const [topName] = report.queries.topDeniedNames;
    assert.ok(topName && topName.count >= 1 && topName.agents === 1);
    assert.deepEqual(report.queries.topDeniedAgents.map((a) => a.agentId).sort(), [
      'captured-agent',
      'ops-agent',
    ]);
    const agents = report.groups.find((g) => g.name === 'agents');
    assert.ok(agents);
    assert.equal(agents.cap, 50);
    const api = agents.entries.find((e) => e.domain === `api.${ZONE}`);
    assert.ok(api);
    assert.equal(api.hits, 3);
    assert.notEqual(api.lastHit, null);
    assert.equal(agents.entries.find((e) => e.domain === `old.${ZONE}`)?.expired, true);
    assert.equal(report.groups.find((g) => g.name === 'ops')?.mode, 'audit');
    assert.ok(report.alerts.total >= 1, 'the iodine replay raised alerts');
    const severities = Object.values(report.alerts.bySeverity);
    assert.equal(
      severities.reduce((sum, s) => sum + s.alerts, 0),
      report.alerts.total,
    );
    assert.ok(report.alerts.bySeverity.high.alerts + report.alerts.bySeverity.critical.alerts >= 1);
    assert.ok(
      report.alerts.items.every((a) => a.exposure === 'blocked'),
      'the tunnel zone was denied',
    );
    assert.deepEqual(
      report.policyVersions.map((v) => v.trigger),
      ['start', 'file-change'],
    );
    assert.notEqual(report.policyVersions[0]?.version, report.policyVersions[1]?.version);
    assert.equal(report.policyVersions[1]?.version, report.policy.version);
    assert.deepEqual(
      report.policyVersions.map((v) => v.groups.find((g) => g.name === 'agents')?.entries),
      [2, 3],
    );
  });

  it('the HTML page, in headless Chromium: no errors, no external requests, the numbers of the JSON form', async () => {
    const html = join(server.dir, 'report.html');
    // one window for both forms: --since as an absolute time
    const since = new Date(Date.now() - 3_600_000).toISOString();
    const args = ['report', '--config', server.configPath, '--db', server.dbPath, '--since', since];
    const report = JSON.parse(await dnsward(...args, '--json')) as EvidenceReport;
    await dnsward(...args, '--html', html);
    const visit = await visitPage(
      html,
      `({
        metrics: [...document.querySelectorAll('[data-metric]')].map((e) => [e.dataset.metric, e.textContent]),
        text: document.body.innerText,
        boldInCells: document.querySelectorAll('td b').length,
        bars: document.querySelectorAll('svg.chart rect').length,
        scripts: document.querySelectorAll('script').length,
      })`,
    );
    assert.deepEqual(visit.errors, []);
    assert.deepEqual(visit.requests, [pathToFileURL(html).href]);
    const page = visit.value as {
      metrics: [string, string][];
      text: string;
      boldInCells: number;
      bars: number;
      scripts: number;
    };
    assert.ok(page.metrics.length > 30, `${page.metrics.length} numbers marked on the page`);
    for (const [metric, shown] of page.metrics) {
      // the page groups digits ("1,234"); generatedAt differs between the two runs, the numbers must not
      assert.equal(Number(shown.replaceAll(',', '')), at(report, metric), metric);
    }
    assert.ok(page.text.includes('LLM calls <b>not bold</b> & more (T-1)'), 'allowlist text shown as text');
    assert.equal(page.boldInCells, 0);
    assert.ok(page.bars >= 1, 'the timeline chart has bars');
    assert.equal(page.scripts, 0);
    assert.ok(readFileSync(html, 'utf8').includes('Content-Security-Policy'));
    assert.deepEqual([...visit.screenshot.subarray(1, 4)].map((c) => String.fromCharCode(c)).join(''), 'PNG');
    const shot = join(server.dir, 'report.png');
    writeFileSync(shot, visit.screenshot);
    if (process.env.DNSWARD_REPORT_SCREENSHOT) copyFileSync(shot, process.env.DNSWARD_REPORT_SCREENSHOT);
  });
});
