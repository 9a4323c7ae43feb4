// AlertRepository against a temp-file database: upsert, filters, ack/reopen, mutes, query samples, concurrency.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AlertRecord } from '../../../src/model/alert.js';
import { AlertRepository } from '../../../src/store/alert-repository.js';
import { openDatabase, type Db } from '../../../src/store/database.js';
import { QueryLogWriter } from '../../../src/store/query-log-writer.js';
import type { QueryEvent } from '../../../src/model/query-event.js';
import { event } from '../detect/scenario.js';

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);

function alertWrite(overrides: Partial<AlertRecord> = {}): AlertRecord {
  return {
    rule: 'unique-subdomains',
    severity: 'medium',
    agentId: 'agent-a',
    group: 'research',
    clientIp: '10.0.0.5',
    baseDomain: 'tunnel-example.org',
    firstSeenMs: T0,
    lastSeenMs: T0 + 60_000,
    count: 3,
    score: 55.5,
    exposure: 'forwarded',
    bytesLeaked: 1200,
    bytesAttempted: 1200,
    samples: ['abc.x.tunnel-example.org'],
    features: { uniqueSubdomains1m: 31, meanLexical5m: 0.9 },
    status: 'open',
    statusReason: null,
    mutedUntilMs: null,
    ...overrides,
  };
}

describe('AlertRepository', () => {
  let dir: string;
  let db: Db;
  let repo: AlertRepository;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dnsward-alerts-'));
    db = openDatabase(join(dir, 'test.db'));
    repo = new AlertRepository(db);
  });
  after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('inserts and reads back the DESIGN.md alert shape', () => {
    const id = repo.save(null, alertWrite(), T0);
    const alert = repo.get(id);
    assert.ok(alert);
    assert.deepEqual(Object.keys(alert).slice(0, 17), [
      'id',
      'rule',
      'severity',
      'agentId',
      'group',
      'clientIp',
      'baseDomain',
      'firstSeen',
      'lastSeen',
      'count',
      'score',
      'exposure',
      'bytesLeaked',
      'bytesAttempted',
      'samples',
      'features',
      'status',
    ]);
    assert.equal(alert.firstSeen, new Date(T0).toISOString());
    assert.deepEqual(alert.samples, ['abc.x.tunnel-example.org']);
    assert.deepEqual(alert.features, { uniqueSubdomains1m: 31, meanLexical5m: 0.9 });
    assert.equal(alert.status, 'open');
  });

  it('updates in place and saves a batch in one transaction', () => {
    const [a, b] = repo.saveBatch(
      [
        { dbId: null, ...alertWrite({ baseDomain: 'batch-one.example' }) },
        { dbId: null, ...alertWrite({ baseDomain: 'batch-two.example' }) },
      ],
      T0,
    );
    assert.ok(a !== undefined && b !== undefined && b > a);
    repo.saveBatch(
      [{ dbId: a, ...alertWrite({ baseDomain: 'batch-one.example', count: 99, severity: 'high' }) }],
      T0,
    );
    assert.equal(repo.get(a)?.count, 99);
    assert.equal(repo.get(a)?.severity, 'high');
  });

  it('keeps an ack across updates and reopens it when the alert escalates', () => {
    const id = repo.save(null, alertWrite({ baseDomain: 'ack.example', severity: 'medium' }), T0);
    assert.equal(repo.ack(id, T0 + 1, 'known scanner'), true);
    repo.save(id, alertWrite({ baseDomain: 'ack.example', severity: 'medium', count: 10 }), T0 + 2);
    assert.equal(repo.get(id)?.status, 'acked');
    assert.equal(repo.get(id)?.statusReason, 'known scanner');
    repo.save(id, alertWrite({ baseDomain: 'ack.example', severity: 'high', count: 11 }), T0 + 3);
    assert.equal(repo.get(id)?.status, 'open');
    assert.match(repo.get(id)?.statusReason ?? '', /escalated to high/);
    assert.equal(repo.ack(999_999, T0), false);
  });

  it('filters by since, minimum severity, rule, agent, domain and status', () => {
    repo.save(
      null,
      alertWrite({
        baseDomain: 'f.example',
        rule: 'null-qtype',
        severity: 'high',
        agentId: 'agent-f',
        lastSeenMs: T0 + 7_200_000,
      }),
      T0,
    );
    assert.ok(
      repo.list({ severity: 'high' }).every((a) => a.severity === 'high' || a.severity === 'critical'),
    );
    assert.deepEqual(
      repo.list({ rule: 'null-qtype' }).map((a) => a.baseDomain),
      ['f.example'],
    );
    assert.deepEqual(
      repo.list({ agentId: 'agent-f' }).map((a) => a.rule),
      ['null-qtype'],
    );
    assert.deepEqual(
      repo.list({ sinceMs: T0 + 3_600_000 }).map((a) => a.baseDomain),
      ['f.example'],
    );
    assert.deepEqual(
      repo
        .list({ domain: 'example' })
        .map((a) => a.baseDomain)
        .sort(),
      ['ack.example', 'batch-one.example', 'batch-two.example', 'f.example'],
    );
    assert.equal(repo.list({ domain: 'xample' }).length, 0);
    assert.ok(repo.list({ status: 'acked' }).every((a) => a.status === 'acked'));
    assert.equal(repo.list({ limit: 2 }).length, 2);
    assert.equal(repo.list().at(0)?.baseDomain, 'f.example', 'newest activity first');
  });

  it('mutes matching open alerts and lists active mutes', () => {
    const id = repo.save(null, alertWrite({ baseDomain: 'sub.mute.example' }), T0);
    const result = repo.mute(
      { domain: 'mute.example', agentId: null, reason: 'pentest', untilMs: T0 + 3_600_000 },
      T0,
    );
    assert.equal(result.muted, 1);
    assert.equal(repo.get(id)?.status, 'muted');
    assert.equal(repo.get(id)?.mutedUntil, new Date(T0 + 3_600_000).toISOString());
    assert.equal(repo.activeMutes(T0).length, 1);
    assert.equal(repo.activeMutes(T0 + 7_200_000).length, 0);
    repo.mute({ domain: null, agentId: 'agent-z', reason: 'decommissioned', untilMs: null }, T0);
    assert.equal(repo.activeMutes(T0 + 7_200_000).length, 1);
  });

  it('samples the alert agent queries under its base domain from the query log', () => {
    const logged = (ts: number, agentId: string, qname: string): QueryEvent =>
      event({ ts, agentId, qname, qtype: 'TXT', clientIp: '10.0.0.5' });
    new QueryLogWriter(db, 365 * 86_400_000).consume([
      logged(T0 + 1000, 'agent-a', 'q1.x.tunnel-example.org'),
      logged(T0 + 2000, 'agent-a', 'q2.x.tunnel-example.org'),
      logged(T0 + 3000, 'agent-b', 'q3.x.tunnel-example.org'),
      logged(T0 + 4000, 'agent-a', 'www.other.example'),
      logged(T0 + 4000, 'agent-a', 'tunnel-example.org.evil.example'),
      logged(T0 + 3_700_000, 'agent-a', 'late.x.tunnel-example.org'),
    ]);
    const id = repo.save(null, alertWrite(), T0);
    const alert = repo.get(id);
    assert.ok(alert);
    assert.deepEqual(
      repo.sampleQueries(alert, 10).map((q) => q.qname),
      ['q2.x.tunnel-example.org', 'q1.x.tunnel-example.org'],
    );
  });

  it('is readable by a read-only connection while a writer holds the database', () => {
    const reader = openDatabase(join(dir, 'test.db'), { readonly: true });
    try {
      db.prepare('BEGIN IMMEDIATE').run();
      repo.save(null, alertWrite({ baseDomain: 'uncommitted.example' }), T0);
      const seen = new AlertRepository(reader).list({ domain: 'uncommitted.example' });
      assert.equal(seen.length, 0, 'WAL readers see the last committed state');
      db.prepare('COMMIT').run();
      assert.equal(new AlertRepository(reader).list({ domain: 'uncommitted.example' }).length, 1);
    } finally {
      reader.close();
    }
  });

  it('iterates every alert for export, oldest first', () => {
    const ids = [...repo.iterateAll()].map((a) => a.id);
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b),
    );
    assert.ok(ids.length >= 8);
  });
});
