// Micro-benchmark of the query-log writer, the largest JS cost on the answer thread (profiles: ~24 % of busy
// CPU for cached/denied answers). Compares the shipped QueryLogWriter with cheaper ways to write the same rows.
// Usage: node --import tsx bench/micro/query-log-insert.ts [ROWS]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { QueryEvent } from '../../src/model/query-event.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { QUERY_LOG_COLUMNS, QueryLogWriter, queryLogRow } from '../../src/store/query-log-writer.js';

const ROWS = Number(process.argv[2] ?? 200_000);
const BATCH = 5000;

function events(count: number): QueryEvent[] {
  const out: QueryEvent[] = [];
  for (let i = 0; i < count; i++) {
    const denied = i % 5 === 4;
    out.push({
      ts: 1_795_000_000_000 + i,
      transport: 'udp',
      clientIp: `127.0.0.${2 + (i % 4)}`,
      clientPort: 30_000 + (i % 20_000),
      agentId: `agent-${2 + (i % 4)}`,
      group: 'fleet',
      tier: 3,
      qname: denied ? `n${i}.denied.test` : `h${String(i % 5000).padStart(5, '0')}.bench.example`,
      qtype: 'A',
      decision: denied ? 'deny' : 'allow',
      reason: denied ? 'not-allowlisted' : 'allowlisted',
      ruleId: denied ? 'fleet/default-deny' : 'bench-allow.yaml:4 *.bench.example',
      rcode: denied ? 'NXDOMAIN' : 'NOERROR',
      upstream: denied ? null : '127.0.0.1:5300',
      cached: !denied,
      answeredBy: denied ? 'policy' : 'cache',
      latencyUs: 40 + (i % 50),
      reqBytes: 38,
      respBytes: denied ? 115 : 54,
      answers: denied ? 0 : 1,
    });
  }
  return out;
}

const COLUMNS = QUERY_LOG_COLUMNS.join(', ');

/** One multi-row INSERT per `perStatement` events (SQLite allows 32766 parameters). */
function multiRowWriter(db: Db, perStatement: number): (batch: readonly QueryEvent[]) => void {
  const placeholders = `(${Array.from({ length: 20 }, () => '?').join(',')})`;
  const many = db.prepare(
    `INSERT INTO queries (${COLUMNS}) VALUES ${Array.from({ length: perStatement }, () => placeholders).join(',')}`,
  );
  const one = db.prepare(`INSERT INTO queries (${COLUMNS}) VALUES ${placeholders}`);
  return db.transaction((batch: readonly QueryEvent[]) => {
    let i = 0;
    const params: unknown[] = new Array(perStatement * 20);
    for (; i + perStatement <= batch.length; i += perStatement) {
      for (let j = 0; j < perStatement; j++) {
        const row = queryLogRow(batch[i + j] as QueryEvent);
        for (let k = 0; k < 20; k++) params[j * 20 + k] = row[k];
      }
      many.run(params);
    }
    for (; i < batch.length; i++) one.run(queryLogRow(batch[i] as QueryEvent));
  });
}

interface Variant {
  readonly name: string;
  readonly setup: (db: Db) => (batch: readonly QueryEvent[]) => void;
}

const variants: Variant[] = [
  {
    name: 'shipped QueryLogWriter (row at a time, 2 indexes)',
    setup: (db) => {
      const writer = new QueryLogWriter(db, 30 * 86_400_000);
      return (batch) => writer.consume(batch);
    },
  },
  {
    name: 'same writer, without index queries_ts',
    setup: (db) => {
      db.exec('DROP INDEX IF EXISTS queries_ts');
      const writer = new QueryLogWriter(db, 30 * 86_400_000);
      return (batch) => writer.consume(batch);
    },
  },
  {
    name: 'same writer, no secondary indexes',
    setup: (db) => {
      db.exec('DROP INDEX IF EXISTS queries_ts; DROP INDEX IF EXISTS queries_agent_ts');
      const writer = new QueryLogWriter(db, 30 * 86_400_000);
      return (batch) => writer.consume(batch);
    },
  },
  { name: 'multi-row INSERT, 50 rows per statement, 2 indexes', setup: (db) => multiRowWriter(db, 50) },
  {
    name: 'multi-row INSERT, 50 rows, without queries_ts',
    setup: (db) => {
      db.exec('DROP INDEX IF EXISTS queries_ts');
      return multiRowWriter(db, 50);
    },
  },
];

/**
 * Low-cardinality strings (transport, group, qtype, decision, reason, rule id, rcode, upstream, answeredBy)
 * stored as small integers from a dictionary table, one index: the same information, fewer bytes to bind.
 */
function compactWriter(db: Db): (batch: readonly QueryEvent[]) => void {
  db.exec(`CREATE TABLE dict (id INTEGER PRIMARY KEY, text TEXT UNIQUE NOT NULL);
    CREATE TABLE queries_compact (id INTEGER PRIMARY KEY, ts INTEGER, client_ip TEXT, client_port INTEGER,
      agent_id TEXT, tier INTEGER, qname TEXT, codes INTEGER, rule_id INTEGER, upstream INTEGER, latency_us INTEGER,
      req_bytes INTEGER, resp_bytes INTEGER, answers INTEGER);
    CREATE INDEX queries_compact_agent_ts ON queries_compact (agent_id, ts);`);
  const ids = new Map<string, number>();
  const addWord = db.prepare('INSERT INTO dict (text) VALUES (?)');
  const word = (text: string | null): number | null => {
    if (text === null) return null;
    let id = ids.get(text);
    if (id === undefined) {
      id = Number(addWord.run(text).lastInsertRowid);
      ids.set(text, id);
    }
    return id;
  };
  const insert = db.prepare(
    'INSERT INTO queries_compact (ts, client_ip, client_port, agent_id, tier, qname, codes, rule_id, upstream, latency_us, req_bytes, resp_bytes, answers) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)',
  );
  return db.transaction((batch: readonly QueryEvent[]) => {
    for (const e of batch) {
      // transport, group, qtype, decision, reason, rcode, answeredBy, cached packed into one integer of word ids
      const codes =
        (word(e.transport) ?? 0) +
        (word(e.group) ?? 0) * 2 ** 8 +
        (word(e.qtype) ?? 0) * 2 ** 16 +
        (word(e.decision) ?? 0) * 2 ** 24 +
        (word(e.reason) ?? 0) * 2 ** 32 +
        (word(e.rcode) ?? 0) * 2 ** 40 +
        (e.cached ? 2 ** 48 : 0);
      insert.run(
        e.ts,
        e.clientIp,
        e.clientPort,
        e.agentId,
        e.tier,
        e.qname,
        codes,
        word(e.ruleId),
        word(e.upstream),
        e.latencyUs,
        e.reqBytes,
        e.respBytes,
        e.answers,
      );
    }
  });
}
variants.push({ name: 'dictionary-coded columns, 1 index', setup: compactWriter });

const data = events(ROWS);
process.stdout.write(`${ROWS} query events, batches of ${BATCH}, WAL + synchronous=NORMAL, one process\n`);
for (const variant of variants) {
  const dir = mkdtempSync(join(tmpdir(), 'dnsward-micro-'));
  try {
    const db = openDatabase(join(dir, 'q.db'));
    const write = variant.setup(db);
    // warm-up: JIT and page cache, not measured
    write(data.slice(0, BATCH));
    const started = performance.now();
    for (let i = BATCH; i < data.length; i += BATCH) write(data.slice(i, i + BATCH));
    const ms = performance.now() - started;
    const rows = data.length - BATCH;
    process.stdout.write(
      `${variant.name.padEnd(52)} ${Math.round(rows / (ms / 1000))
        .toString()
        .padStart(8)} rows/s  ${((ms * 1000) / rows).toFixed(2)} µs/row\n`,
    );
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
