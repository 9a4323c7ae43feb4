// The evidence model from a real SQLite store: window, buckets, top tables, quarantines in force in the window,
// stale entries; and the HTML page escapes what the store holds.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/load.js';
import { compilePolicy } from '../../../src/policy/compile.js';
import { buildEvidence, type EvidenceReport } from '../../../src/report/evidence.js';
import { renderReportHtml } from '../../../src/report/report-html.js';
import { bucketFor } from '../../../src/report/query-tally.js';
import { openStore } from '../../../src/store/open-store.js';
import { encodeRows } from '../../../src/store/query-log-row.js';
import type { Store } from '../../../src/store/store.js';
import { event } from '../detect/scenario.js';

const DAY = 86_400_000;
const CLEAN = resolve(import.meta.dirname, '../../../fixtures/operate/lint/clean.yaml');

describe('evidence report', () => {
  let dir: string;
  let store: Store;
  let report: EvidenceReport;
  // the store's hit tracking starts when it is created: 200 days on, every entry without hits is stale
  const now = Date.now() + 200 * DAY;
  const since = now - 30 * DAY;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dnsward-evidence-'));
    store = await openStore(join(dir, 'e.db'), { instance: 'r1', retentionMs: 400 * DAY });
    const rows = [
      event({ ts: since - 1, qname: 'before.window.example', decision: 'deny' }),
      ...Array.from({ length: 5 }, (_, i) =>
        event({
          ts: since + DAY + i,
          qname: `x${i}.tunnel-example.org`,
          decision: 'deny',
          agentId: 'agent-t',
        }),
      ),
      event({ ts: since + 2 * DAY, qname: 'x0.tunnel-example.org', decision: 'deny', agentId: 'agent-u' }),
      event({ ts: now - 1, qname: 'audit.example.net', decision: 'would-deny', agentId: 'agent-u' }),
      event({ ts: now - 2, qname: 'api.example.org', decision: 'allow' }),
    ];
    await store.queryLog.write(rows, encodeRows(rows));
    await store.queryLog.recordDrops(4, now - DAY);
    const q = {
      agentId: 'agent-t',
      group: 'research',
      scope: 'agent' as const,
      baseDomain: null,
      reason: 'r',
      alertId: null,
    };
    await store.quarantines.add({ ...q, createdAt: since - 10 * DAY, until: since - DAY }); // over before
    const overlapping = await store.quarantines.add({
      ...q,
      createdAt: since - DAY,
      until: since + 10 * DAY,
    });
    const released = await store.quarantines.add({
      ...q,
      scope: 'domain',
      baseDomain: 'tunnel-example.org',
      createdAt: since + DAY,
      until: now + DAY,
    });
    await store.quarantines.release({ id: released }, since + 2 * DAY);
    const policy = compilePolicy(loadConfig(CLEAN));
    await store.policyVersions.record({
      version: 'v-old',
      loadedAt: since - DAY,
      trigger: 'start',
      groups: [],
    });
    report = await buildEvidence({
      store,
      policy,
      configFile: CLEAN,
      sinceMs: since,
      nowMs: now,
      staleAfterDays: 90,
      top: 10,
    });
    assert.deepEqual(
      report.quarantines.map((x) => x.id),
      [overlapping, released],
    );
  });

  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts the window only, in day buckets for 30 days, empty ones included', () => {
    assert.equal(report.queries.total, 8);
    assert.deepEqual(report.queries.byDecision, { deny: 6, 'would-deny': 1, allow: 1 });
    assert.equal(report.queries.bucket, 'day');
    assert.equal(report.queries.timeline.length, 31);
    assert.equal(report.queries.timeline.filter((b) => Object.keys(b.counts).length > 0).length, 3);
    assert.equal(bucketFor(0, 2 * DAY), 'hour');
    assert.equal(bucketFor(0, 2 * DAY + 1), 'day');
  });

  it('ranks denied domains, names and agents', () => {
    assert.deepEqual(report.queries.topDeniedDomains[0], {
      domain: 'tunnel-example.org',
      count: 6,
      names: 5,
      agents: 2,
    });
    assert.deepEqual(report.queries.topDeniedNames[0], {
      name: 'x0.tunnel-example.org',
      count: 2,
      agents: 2,
    });
    assert.deepEqual(
      report.queries.topDeniedAgents.map((a) => [a.agentId, a.count]),
      [
        ['agent-t', 5],
        ['agent-u', 2],
      ],
    );
  });

  it('flags stale entries, tallies drops, lists the policy in force when the window opened', () => {
    const entries = report.groups.flatMap((g) => g.entries);
    assert.ok(entries.length > 0 && entries.every((e) => e.stale && e.hits === 0));
    assert.deepEqual(report.completeness, {
      logged: 8,
      dropped: 4,
      loggedShare: 8 / 12,
      byInstance: [{ instance: 'r1', dropped: 4, lastDrop: new Date(now - DAY).toISOString() }],
    });
    assert.deepEqual(
      report.policyVersions.map((v) => v.version),
      ['v-old'],
    );
  });

  it('the HTML page escapes names and agent ids from the store and loads nothing', () => {
    const hostile = {
      ...report,
      queries: {
        ...report.queries,
        topDeniedAgents: [
          { agentId: '<script>alert(1)</script>', group: 'g"x', namespace: null, pod: null, count: 1 },
        ],
      },
    };
    const html = renderReportHtml(hostile);
    assert.ok(!html.includes('<script'));
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(html.includes('g&quot;x'));
    assert.doesNotMatch(html, /(src|href)=/);
  });
});
