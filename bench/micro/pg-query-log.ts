// Micro-benchmark of the PostgreSQL query log: the shipped writer (COPY FROM STDIN into the day partition, via
// pg-copy-streams) against a multi-row INSERT of the same batch, on a PostgreSQL of its own (Debian's package,
// started like the tests' one), then the sustained rate of the Store's write path with a completeness count.
// Usage: node --import tsx bench/micro/pg-query-log.ts [ROWS] [BATCH]
import type { QueryEvent } from '../../src/model/query-event.js';
import { openStore } from '../../src/store/open-store.js';
import { encodeRows, queryLogRow } from '../../src/store/query-log-row.js';
import { startPostgres } from '../../test/helpers/postgres.js';
import pg from 'pg';

const ROWS = Number(process.argv[2] ?? 200_000);
const BATCH = Number(process.argv[3] ?? 500);
const T0 = Date.UTC(2026, 11, 2, 12);

function events(count: number): QueryEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    ts: T0 + i,
    transport: 'udp' as const,
    clientIp: `127.0.0.${2 + (i % 4)}`,
    clientPort: 30_000 + (i % 20_000),
    agentId: `agent-${2 + (i % 4)}`,
    group: 'fleet',
    tier: 3 as const,
    qname: `h${String(i % 5000).padStart(5, '0')}.bench.example`,
    qtype: 'A',
    decision: 'allow' as const,
    reason: 'allowlisted',
    ruleId: 'allowlists/fleet.yaml:3 *.bench.example',
    rcode: 'NOERROR',
    upstream: '127.0.0.1:5300',
    cached: i % 3 === 0,
    answeredBy: 'upstream' as const,
    latencyUs: 400 + (i % 300),
    reqBytes: 40,
    respBytes: 80,
    answers: 1,
  }));
}

const server = await startPostgres();
try {
  const all = events(ROWS);
  const batches: QueryEvent[][] = [];
  for (let i = 0; i < all.length; i += BATCH) batches.push(all.slice(i, i + BATCH));

  // 1. COPY: the Store's own write path (partition check, COPY, commit)
  const copyUrl = await server.createDatabase('bench_copy');
  const store = await openStore(copyUrl, { instance: 'bench' });
  let start = performance.now();
  for (const b of batches) await store.queryLog.write(b, encodeRows(b));
  const copyMs = performance.now() - start;
  const copied = await store.queryLog.count();
  await store.close();
  // on-disk size of the day partitions (heap, indexes, TOAST) per row: the sizing figure
  const sizing = new pg.Pool({ connectionString: copyUrl, max: 1 });
  const size = Number(
    (
      await sizing.query<{ bytes: string }>(
        `SELECT sum(pg_total_relation_size(inhrelid)) AS bytes FROM pg_inherits
          WHERE inhparent = 'query_log'::regclass`,
      )
    ).rows[0]?.bytes,
  );
  await sizing.end();

  // 2. multi-row INSERT of the same batches into the same schema
  const insertUrl = await server.createDatabase('bench_insert');
  await (await openStore(insertUrl, { instance: 'bench' })).close(); // migrated, nothing written
  const pool = new pg.Pool({ connectionString: insertUrl, max: 1 });
  await pool.query(
    `CREATE TABLE query_log_bench PARTITION OF query_log FOR VALUES FROM (${T0 - 86_400_000}) TO (${T0 + 86_400_000})`,
  );
  const columns =
    'ts, transport, client_ip, client_port, agent_id, grp, tier, qname, qtype, decision, reason, rule_id, rcode, upstream, cached, answered_by, latency_us, req_bytes, resp_bytes, answers, namespace, pod, pod_uid, service_account, instance';
  start = performance.now();
  for (const b of batches) {
    const params: unknown[] = [];
    const tuples = b.map((e) => {
      const row = [...queryLogRow(e), 'bench'];
      const base = params.length;
      params.push(...row);
      return `(${row.map((_, j) => `$${base + j + 1}`).join(', ')})`;
    });
    await pool.query(`INSERT INTO query_log (${columns}) VALUES ${tuples.join(', ')}`, params);
  }
  const insertMs = performance.now() - start;
  const inserted = Number(
    (await pool.query<{ n: string }>('SELECT count(*) AS n FROM query_log')).rows[0]?.n,
  );
  await pool.end();

  const rate = (ms: number): string => `${Math.round(ROWS / (ms / 1000)).toLocaleString('en')} rows/s`;
  process.stdout.write(
    `${ROWS} rows in batches of ${BATCH}, PostgreSQL on loopback:\n` +
      `  COPY (shipped)      ${copyMs.toFixed(0)} ms  ${rate(copyMs)}  rows stored ${copied}, ${Math.round(size / copied)} bytes a row on disk\n` +
      `  multi-row INSERT    ${insertMs.toFixed(0)} ms  ${rate(insertMs)}  rows stored ${inserted}\n`,
  );
} finally {
  await server.stop();
}
