// `dnsward alerts`: command functions against a prepared database, and the real binary for exit codes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  alertsAck,
  alertsExport,
  alertsList,
  alertsMute,
  alertsShow,
  type AlertsIo,
} from '../../../src/cli/commands/alerts.js';
import { parseTime } from '../../../src/cli/options.js';
import { DnswardError } from '../../../src/errors.js';
import type { AlertRecord } from '../../../src/model/alert.js';
import { AlertRepository } from '../../../src/store/alert-repository.js';
import { openDatabase } from '../../../src/store/database.js';
import { QueryLogWriter } from '../../../src/store/query-log-writer.js';
import { event } from '../detect/scenario.js';

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const MAIN = fileURLToPath(new URL('../../../src/main.ts', import.meta.url));

function write(overrides: Partial<AlertRecord>): AlertRecord {
  return {
    rule: 'unique-subdomains',
    severity: 'high',
    agentId: 'agent-a',
    group: 'research',
    clientIp: '10.0.0.5',
    baseDomain: 'tunnel-example.org',
    firstSeenMs: T0,
    lastSeenMs: T0 + 60_000,
    count: 120,
    score: 80,
    exposure: 'forwarded',
    bytesLeaked: 5000,
    bytesAttempted: 5000,
    samples: ['aaaa.x.tunnel-example.org', 'bbbb.x.tunnel-example.org'],
    features: { uniqueSubdomains5m: 120, meanLexical5m: 0.93 },
    status: 'open',
    statusReason: null,
    mutedUntilMs: null,
    ...overrides,
  };
}

function capture(now = T0 + 120_000): AlertsIo & { text: () => string } {
  let text = '';
  return { out: (t) => (text += t), now: () => now, text: () => text };
}

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'alerts', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('dnsward alerts', () => {
  let dir: string;
  let db: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dnsward-cli-'));
    db = join(dir, 'alerts.db');
    const handle = openDatabase(db);
    const repo = new AlertRepository(handle);
    repo.save(null, write({}), T0);
    repo.save(
      null,
      write({
        rule: 'null-qtype',
        severity: 'medium',
        agentId: 'agent-b',
        baseDomain: 'other-example.net',
        lastSeenMs: T0 + 30_000,
      }),
      T0,
    );
    repo.save(
      null,
      write({
        rule: 'lexical-anomaly',
        severity: 'low',
        baseDomain: 'cdn-example.com',
        samples: ['x,"y".cdn-example.com'],
      }),
      T0,
    );
    new QueryLogWriter(handle, 365 * 86_400_000).consume([
      event({ ts: T0 + 1000, qname: 'cccc.x.tunnel-example.org', qtype: 'TXT', reason: 'r', ruleId: 'r' }),
    ]);
    handle.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('list prints a table, most recently active first', async () => {
    const io = capture();
    await alertsList({ db }, io);
    const lines = io.text().trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^id\s+severity\s+rule\s+agentId\s+baseDomain/);
    assert.equal(lines.length, 4);
    assert.match(lines[3] ?? '', /null-qtype/);
  });

  it('list filters by minimum severity, rule, agent, domain, status and since', async () => {
    const ids = async (options: Record<string, string>): Promise<number[]> => {
      const io = capture();
      await alertsList({ db, json: true, ...options }, io);
      return (JSON.parse(io.text()) as { id: number }[]).map((a) => a.id).sort();
    };
    assert.deepEqual(await ids({ severity: 'medium' }), [1, 2]);
    assert.deepEqual(await ids({ severity: 'HIGH' }), [1]);
    assert.deepEqual(await ids({ rule: 'null-qtype' }), [2]);
    assert.deepEqual(await ids({ agent: 'agent-b' }), [2]);
    assert.deepEqual(await ids({ domain: 'tunnel-example.org' }), [1]);
    assert.deepEqual(
      await ids({ domain: 'example.org' }),
      [],
      'label boundary: tunnel-example.org is not under example.org',
    );
    assert.deepEqual(await ids({ status: 'open' }), [1, 2, 3]);
    assert.deepEqual(await ids({ since: '1m' }), [1, 3]);
    assert.deepEqual(await ids({ since: new Date(T0 + 45_000).toISOString() }), [1, 3]);
  });

  it('list --json keeps the DESIGN.md alert shape', async () => {
    const io = capture();
    await alertsList({ db, json: true, rule: 'unique-subdomains' }, io);
    const [alert] = JSON.parse(io.text()) as Record<string, unknown>[];
    assert.ok(alert);
    for (const key of [
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
    ]) {
      assert.ok(key in alert, key);
    }
    assert.equal(alert.firstSeen, new Date(T0).toISOString());
  });

  it('list --csv quotes fields per RFC 4180', async () => {
    const io = capture();
    await alertsList({ db, csv: true, rule: 'lexical-anomaly' }, io);
    const [header, row] = io.text().trimEnd().split('\n');
    assert.match(header ?? '', /^id,rule,severity,agentId,group,clientIp,baseDomain,firstSeen,lastSeen/);
    assert.match(row ?? '', /"x,""y"".cdn-example.com"/);
  });

  it('rejects bad filters and two formats as usage errors', async () => {
    const usage = (fn: () => Promise<void>): Promise<void> =>
      assert.rejects(fn, (e: unknown) => e instanceof DnswardError && e.code === 'DNSWARD_ERR_USAGE');
    await usage(() => alertsList({ db, severity: 'urgent' }, capture()));
    await usage(() => alertsList({ db, status: 'closed' }, capture()));
    await usage(() => alertsList({ db, since: 'yesterday' }, capture()));
    await usage(() => alertsList({ db, json: true, csv: true }, capture()));
    await usage(() => alertsShow('abc', { db }, capture()));
    await usage(() => alertsMute({ db, reason: 'x' }, capture()));
    await usage(() => alertsMute({ db, domain: 'example.org' }, capture()));
  });

  it('show prints evidence, samples and the query-log rows of the alert', async () => {
    const io = capture();
    await alertsShow('1', { db }, io);
    const text = io.text();
    assert.match(text, /rule:\s+unique-subdomains/);
    assert.match(text, /uniqueSubdomains5m = 120/);
    assert.match(text, /aaaa\.x\.tunnel-example\.org/);
    assert.match(text, /cccc\.x\.tunnel-example\.org/);
    const json = capture();
    await alertsShow('1', { db, json: true }, json);
    const doc = JSON.parse(json.text()) as { alert: { id: number }; queries: { qname: string }[] };
    assert.equal(doc.alert.id, 1);
    assert.deepEqual(
      doc.queries.map((q) => q.qname),
      ['cccc.x.tunnel-example.org'],
    );
  });

  it('show of a missing alert is not found', async () => {
    await assert.rejects(
      () => alertsShow('42', { db }, capture()),
      (e: unknown) => e instanceof DnswardError && e.code === 'DNSWARD_ERR_NOT_FOUND',
    );
  });

  it('ack and mute change status', async () => {
    await alertsAck('2', { db, reason: 'known lab host' }, capture());
    const io = capture();
    await alertsMute({ db, domain: 'cdn-example.com', reason: 'CDN noise', until: '7d' }, io);
    assert.match(io.text(), /1 open alert\(s\) marked muted/);
    const list = capture();
    await alertsList({ db, json: true }, list);
    const status = Object.fromEntries(
      (JSON.parse(list.text()) as { id: number; status: string }[]).map((a) => [a.id, a.status]),
    );
    assert.deepEqual(status, { 1: 'open', 2: 'acked', 3: 'muted' });
  });

  it('export writes NDJSON by default', async () => {
    const io = capture();
    await alertsExport({ db }, io);
    const lines = io.text().trimEnd().split('\n');
    assert.equal(lines.length, 3);
    assert.deepEqual(
      lines.map((l) => (JSON.parse(l) as { id: number }).id),
      [1, 2, 3],
    );
  });

  it('parses durations and times for --since and --until', () => {
    assert.equal(parseTime('--since', '30m', T0), T0 - 30 * 60_000);
    assert.equal(parseTime('--since', '7d', T0), T0 - 7 * 86_400_000);
    assert.equal(parseTime('--since', '2026-01-15T11:00:00Z', T0), T0 - 3_600_000);
    assert.equal(parseTime('--until', '2h', T0, 1), T0 + 7_200_000);
    assert.throws(() => parseTime('--since', 'yesterday', T0), /--since: expected a duration/);
  });

  it('the binary exits 0 ok, 1 not found / no database, 2 usage', () => {
    const ok = cli('list', '--db', db, '--severity', 'high');
    assert.equal(ok.status, 0);
    assert.match(ok.stdout, /unique-subdomains/);
    assert.equal(cli('show', '999', '--db', db).status, 1);
    assert.equal(cli('list', '--db', join(dir, 'missing.db')).status, 1);
    assert.equal(cli('list', '--db', db, '--severity', 'urgent').status, 2);
    assert.equal(cli('list', '--db', db, '--no-such-flag').status, 2);
    assert.equal(cli('show', '--db', db).status, 2);
  });
});
