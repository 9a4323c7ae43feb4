// Micro-benchmark of the query-log writer, once the largest JS cost on the answer thread (profiles: ~30 % of busy
// CPU for cached/denied answers with a row per query). Compares the shipped QueryLogWriter (a segment per batch)
// with the ways of writing a row per query it replaced. Also tried and slower than a row per query: multi-row
// INSERT statements (same cost: binding is not the bottleneck), a JSON batch unpacked by json_each into rows
// (~2x slower), building the segment's JSON by string concatenation (~1.6x slower than JSON.stringify).
// Usage: node --import tsx bench/micro/query-log-insert.ts [ROWS] [BATCH]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { QueryEvent } from '../../src/model/query-event.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { queryLogRow } from '../../src/store/query-log-row.js';
import { QueryLogWriter } from '../../src/store/query-log-writer.js';

const ROWS = Number(process.argv[2] ?? 200_000);
const BATCH = Number(process.argv[3] ?? 500);

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

/** The row-per-query table of schema versions 1-8 (migrations/001-query-log.sql), under another name. */
function rowPerQueryWriter(db: Db, indexes: 0 | 1 | 2): (batch: readonly QueryEvent[]) => void {
  db.exec(`CREATE TABLE query_rows (id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, transport TEXT NOT NULL,
      client_ip TEXT NOT NULL, client_port INTEGER NOT NULL, agent_id TEXT NOT NULL, grp TEXT NOT NULL,
      tier INTEGER NOT NULL, qname TEXT NOT NULL, qtype TEXT NOT NULL, decision TEXT NOT NULL, reason TEXT NOT NULL,
      rule_id TEXT NOT NULL, rcode TEXT NOT NULL, upstream TEXT, cached INTEGER NOT NULL, answered_by TEXT NOT NULL,
      latency_us INTEGER NOT NULL, req_bytes INTEGER NOT NULL, resp_bytes INTEGER NOT NULL, answers INTEGER NOT NULL);
    ${indexes >= 1 ? 'CREATE INDEX query_rows_agent_ts ON query_rows (agent_id, ts);' : ''}
    ${indexes >= 2 ? 'CREATE INDEX query_rows_ts ON query_rows (ts);' : ''}`);
  const insert = db.prepare(
    `INSERT INTO query_rows (ts, transport, client_ip, client_port, agent_id, grp, tier, qname, qtype, decision,
      reason, rule_id, rcode, upstream, cached, answered_by, latency_us, req_bytes, resp_bytes, answers)
     VALUES (${Array.from({ length: 20 }, () => '?').join(', ')})`,
  );
  return db.transaction((batch: readonly QueryEvent[]) => {
    for (const e of batch) insert.run(queryLogRow(e).slice(0, 20)); // the columns schemas 1-8 had
  });
}

interface Variant {
  readonly name: string;
  readonly setup: (db: Db) => (batch: readonly QueryEvent[]) => void;
}

const variants: Variant[] = [
  {
    name: 'shipped QueryLogWriter (a JSON segment per batch)',
    setup: (db) => {
      const writer = new QueryLogWriter(db, 30 * 86_400_000);
      return (batch) => writer.consume(batch);
    },
  },
  { name: 'row per query, 2 indexes (schema 1-8)', setup: (db) => rowPerQueryWriter(db, 2) },
  { name: 'row per query, index (agent_id, ts) only', setup: (db) => rowPerQueryWriter(db, 1) },
  { name: 'row per query, no secondary indexes', setup: (db) => rowPerQueryWriter(db, 0) },
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
