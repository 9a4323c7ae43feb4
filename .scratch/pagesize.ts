import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from '/work/main/src/store/database.ts';
import { QueryLogWriter } from '/work/main/src/store/query-log-writer.ts';
import { event } from '/work/main/test/unit/detect/scenario.ts';
const N = 300_000, B = Number(process.argv[3] ?? 500);
const evs = Array.from({ length: N }, (_, i) => event({ ts: 1e12 + i, qname: `h${i % 5000}.bench.example`, ruleId: 'bench-allow.yaml:4 *.bench.example' }));
for (const [ps, ckpt] of [[4096, 1000], [16384, 1000], [65536, 1000], [4096, 10000], [4096, 0]]) {
  const dir = mkdtempSync(join(tmpdir(), 'ps-'));
  const db = new Database(join(dir, 'q.db'));
  db.pragma(`page_size = ${ps}`);
  db.pragma('journal_mode = WAL'); db.pragma('synchronous = NORMAL'); db.pragma(`wal_autocheckpoint = ${ckpt}`);
  migrate(db);
  const w = new QueryLogWriter(db, 1e12);
  w.consume(evs.slice(0, B));
  const t = performance.now();
  for (let i = B; i < N; i += B) w.consume(evs.slice(i, i + B));
  const ms = performance.now() - t;
  console.log(`page ${ps} ckpt ${ckpt}: ${(ms * 1000 / (N - B)).toFixed(2)} µs/row`);
  db.close(); rmSync(dir, { recursive: true });
}
