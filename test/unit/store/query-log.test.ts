// The query log as segments: what the writer stores, what the `queries` view and the reader give back, pruning,
// and the move of row-per-query logs (schema 8) into segments.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { QueryEvent } from '../../../src/model/query-event.js';
import { migrate, openDatabase, type Db } from '../../../src/store/database.js';
import {
  countQueries,
  findQueries,
  scanQueries,
  type QueryFilter,
} from '../../../src/store/query-log-reader.js';
import { QueryLogWriter } from '../../../src/store/query-log-writer.js';
import { event, T0 } from '../detect/scenario.js';
import { seededRandom } from '../../helpers/seeded-random.js';

const DAY = 86_400_000;
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDb(): Db {
  const dir = mkdtempSync(join(tmpdir(), 'dnsward-qlog-'));
  dirs.push(dir);
  return openDatabase(join(dir, 'q.db'));
}

interface ViewRow {
  id: number;
  ts: number;
  transport: string;
  client_ip: string;
  client_port: number;
  agent_id: string;
  grp: string;
  tier: number;
  qname: string;
  qtype: string;
  decision: string;
  reason: string;
  rule_id: string;
  rcode: string;
  upstream: string | null;
  cached: number;
  answered_by: string;
  latency_us: number;
  req_bytes: number;
  resp_bytes: number;
  answers: number;
}

function fromView(r: ViewRow): QueryEvent {
  return {
    ts: r.ts,
    transport: r.transport as QueryEvent['transport'],
    clientIp: r.client_ip,
    clientPort: r.client_port,
    agentId: r.agent_id,
    group: r.grp,
    tier: r.tier as QueryEvent['tier'],
    qname: r.qname,
    qtype: r.qtype,
    decision: r.decision as QueryEvent['decision'],
    reason: r.reason,
    ruleId: r.rule_id,
    rcode: r.rcode,
    upstream: r.upstream,
    cached: r.cached === 1,
    answeredBy: r.answered_by as QueryEvent['answeredBy'],
    latencyUs: r.latency_us,
    reqBytes: r.req_bytes,
    respBytes: r.resp_bytes,
    answers: r.answers,
  };
}

/** Every field different from the defaults, names that need JSON escaping, null and non-null upstream. */
const odd: QueryEvent[] = [
  event({ ts: T0 + 1, qname: 'a\\"b\\\\c.example.org', upstream: null, cached: true, answeredBy: 'cache' }),
  event({
    ts: T0 + 2,
    transport: 'tcp',
    clientIp: 'fd00::7',
    clientPort: 1,
    agentId: 'agent-z',
    group: 'g2',
    tier: 1,
    qname: 'x\\000y.example.org',
    qtype: 'TYPE65280',
    decision: 'would-deny',
    reason: 'not-allowlisted "quoted"',
    ruleId: 'g2/default-deny',
    rcode: 'NXDOMAIN',
    answeredBy: 'policy',
    latencyUs: 0,
    reqBytes: 512,
    respBytes: 4096,
    answers: 0,
  }),
];

describe('query log segments', () => {
  it('the queries view gives back every field of every logged query, in logged order', () => {
    const db = tempDb();
    const writer = new QueryLogWriter(db, 30 * DAY);
    writer.consume(odd);
    writer.consume([event({ ts: T0 + 3 })]);
    const rows = db.prepare('SELECT * FROM queries ORDER BY id').all() as ViewRow[];
    assert.deepEqual(rows.map(fromView), [...odd, event({ ts: T0 + 3 })]);
    assert.equal(new Set(rows.map((r) => r.id)).size, 3);
    assert.equal(countQueries(db), 3);
    assert.equal(writer.written, 3);
  });

  it('leaves the pod columns out of a row without a pod, and the view and the reader give them back as null', () => {
    const db = tempDb();
    const writer = new QueryLogWriter(db, 30 * DAY);
    const pod = { namespace: 'agents', pod: 'agent-0', podUid: 'uid-1', serviceAccount: 'runner' };
    writer.consume([
      event({ ts: T0 + 1 }),
      event({ ts: T0 + 2, ...pod }),
      event({ ts: T0 + 3, namespace: 'agents' }),
    ]);
    const segment = db.prepare('SELECT rows FROM query_log_segments').pluck().get() as string;
    assert.deepEqual(
      (JSON.parse(segment) as unknown[][]).map((row) => row.length),
      [20, 24, 21],
      'trailing null pod columns are not written',
    );
    const view = db
      .prepare('SELECT namespace, pod, pod_uid, service_account FROM queries ORDER BY ts')
      .all() as Record<string, string | null>[];
    assert.deepEqual(view, [
      { namespace: null, pod: null, pod_uid: null, service_account: null },
      { namespace: 'agents', pod: 'agent-0', pod_uid: 'uid-1', service_account: 'runner' },
      { namespace: 'agents', pod: null, pod_uid: null, service_account: null },
    ]);
    const read = findQueries(db, { limit: 10 }).map((e) => [e.namespace, e.pod, e.podUid, e.serviceAccount]);
    assert.deepEqual(read.reverse(), [
      [null, null, null, null],
      ['agents', 'agent-0', 'uid-1', 'runner'],
      ['agents', null, null, null],
    ]);
  });

  it('finds the newest rows first, exactly, when segments overlap in time', () => {
    const db = tempDb();
    const writer = new QueryLogWriter(db, 30 * DAY);
    const random = seededRandom(7);
    const all: QueryEvent[] = [];
    // 40 batches; arrival times jitter by up to 3 s so a later segment can hold older queries (slow upstreams)
    for (let b = 0; b < 40; b++) {
      const batch: QueryEvent[] = [];
      for (let i = 0; i < 50; i++) {
        batch.push(
          event({
            ts: T0 + b * 1000 + Math.floor(random() * 3000),
            agentId: `agent-${Math.floor(random() * 4)}`,
            group: random() < 0.5 ? 'research' : 'ops',
            qname: `n${b}-${i}.${random() < 0.3 ? 'sub.example.org' : 'example.net'}`,
            decision: random() < 0.2 ? 'deny' : 'allow',
          }),
        );
      }
      all.push(...batch);
      writer.consume(batch);
    }
    const brute = (f: QueryFilter): string[] =>
      all
        .map((e, order) => ({ e, order }))
        .filter(
          ({ e }) =>
            (f.agent === undefined || e.agentId === f.agent) &&
            (f.decisions === undefined || f.decisions.includes(e.decision)) &&
            (f.group === undefined || e.group === f.group) &&
            (f.sinceMs === undefined || e.ts >= f.sinceMs) &&
            (f.untilMs === undefined || e.ts <= f.untilMs) &&
            (f.name === undefined || e.qname === 'sub.example.org' || e.qname.endsWith('.sub.example.org')),
        )
        .sort((a, b) => b.e.ts - a.e.ts || b.order - a.order)
        .slice(0, f.limit ?? 1000)
        .map(({ e }) => e.qname);
    const filters: QueryFilter[] = [
      { limit: 1 },
      { limit: 37 },
      { limit: 5000 },
      { agent: 'agent-2', limit: 25 },
      { name: '*.sub.example.org', limit: 60 },
      { decisions: ['deny'], group: 'ops', limit: 10 },
      { sinceMs: T0 + 10_000, untilMs: T0 + 20_000, limit: 100 },
      { agent: 'agent-1', sinceMs: T0 + 30_000 },
    ];
    for (const filter of filters) {
      assert.deepEqual(
        findQueries(db, filter).map((e) => e.qname),
        brute(filter),
        JSON.stringify(filter),
      );
    }
    assert.equal(
      [...scanQueries(db, { agent: 'agent-3' })].length,
      all.filter((e) => e.agentId === 'agent-3').length,
    );
  });

  it('matches an exact name, and a wildcard name and everything below it', () => {
    const db = tempDb();
    new QueryLogWriter(db, 30 * DAY).consume([
      event({ ts: T0 + 1, qname: 'example.org' }),
      event({ ts: T0 + 2, qname: 'a.example.org' }),
      event({ ts: T0 + 3, qname: 'badexample.org' }),
      event({ ts: T0 + 4, qname: 'a.example.org.evil.test' }),
    ]);
    const names = (name: string): string[] => findQueries(db, { name }).map((e) => e.qname);
    assert.deepEqual(names('*.example.org'), ['a.example.org', 'example.org']);
    assert.deepEqual(names('A.Example.org.'), ['a.example.org']);
  });

  it('prunes segments whose newest query is past retention, with their agent index rows', () => {
    const db = tempDb();
    const writer = new QueryLogWriter(db, DAY);
    const now = T0 + 10 * DAY;
    writer.consume([event({ ts: now - 3 * DAY }), event({ ts: now - 2 * DAY, agentId: 'agent-b' })]);
    writer.consume([event({ ts: now - 2 * DAY }), event({ ts: now - 1000 })]);
    writer.consume([event({ ts: now - 60_000, agentId: 'agent-c' })]);
    assert.equal(writer.prune(now), 1);
    assert.equal(countQueries(db), 3);
    assert.deepEqual(
      db.prepare('SELECT DISTINCT agent_id FROM query_log_segment_agents ORDER BY agent_id').pluck().all(),
      ['agent-a', 'agent-c'],
    );
    assert.deepEqual(findQueries(db, { agent: 'agent-b' }), []);
  });
});

describe('migration 009', () => {
  it('moves a row-per-query log (schema 8) into segments without losing a row', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dnsward-qlog-'));
    dirs.push(dir);
    const db = new Database(join(dir, 'old.db'));
    const migrations = fileURLToPath(new URL('../../../src/store/migrations/', import.meta.url));
    for (const file of readdirSync(migrations).sort()) {
      if (Number(file.slice(0, 3)) <= 8) db.exec(readFileSync(join(migrations, file), 'utf8'));
    }
    db.pragma('user_version = 8');
    const insert = db.prepare(
      `INSERT INTO queries (ts, transport, client_ip, client_port, agent_id, grp, tier, qname, qtype, decision, reason,
        rule_id, rcode, upstream, cached, answered_by, latency_us, req_bytes, resp_bytes, answers)
       VALUES (@ts, @transport, @clientIp, @clientPort, @agentId, @group, @tier, @qname, @qtype, @decision, @reason,
        @ruleId, @rcode, @upstream, @cached, @answeredBy, @latencyUs, @reqBytes, @respBytes, @answers)`,
    );
    const old: QueryEvent[] = [];
    for (let i = 0; i < 2500; i++)
      old.push(event({ ts: T0 + i, qname: `q${i}.example.org`, agentId: `agent-${i % 3}` }));
    old.push(...odd);
    db.transaction(() => {
      for (const e of old) insert.run({ ...e, cached: e.cached ? 1 : 0 });
    })();
    migrate(db);
    const rows = db.prepare('SELECT * FROM queries ORDER BY id').all() as ViewRow[];
    assert.deepEqual(rows.map(fromView), old);
    assert.equal(countQueries(db), old.length);
    assert.equal(
      findQueries(db, { agent: 'agent-1', limit: 5000 }).length,
      old.filter((e) => e.agentId === 'agent-1').length,
    );
    new QueryLogWriter(db, 30 * DAY).consume([event({ ts: T0 + 10_000, qname: 'after.example.org' })]);
    assert.equal(findQueries(db, { limit: 1 })[0]?.qname, 'after.example.org');
    db.close();
  });
});
