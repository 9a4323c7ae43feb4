// PostgreSQL schema migrations: every migrations/NNN-*.sql not yet recorded in schema_migrations, in order, each in
// its own transaction, all under one advisory lock so replicas starting together apply each file exactly once.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');
/** Any constant both sides agree on: "dnsward" as a 64-bit key. */
const LOCK_KEY = 0x646e7377617264n;

export interface Migration {
  readonly version: number;
  readonly file: string;
}

export function migrations(upTo = Number.POSITIVE_INFINITY): Migration[] {
  return readdirSync(MIGRATIONS_DIR)
    .filter((f) => /^\d{3}-.+\.sql$/.test(f))
    .sort()
    .map((file) => ({ version: Number(file.slice(0, 3)), file }))
    .filter((m) => m.version <= upTo);
}

export function latestVersion(): number {
  return Math.max(...migrations().map((m) => m.version));
}

/** Applies what is missing (up to `upTo`); returns the versions applied now. */
export async function migrate(pool: pg.Pool, upTo?: number): Promise<number[]> {
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY.toString()]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)',
    );
    const done = new Set(
      (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map(
        (r) => r.version,
      ),
    );
    for (const m of migrations(upTo)) {
      if (done.has(m.version)) continue;
      const sql = readFileSync(join(MIGRATIONS_DIR, m.file), 'utf8');
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [
          m.version,
          Date.now(),
        ]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
      applied.push(m.version);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY.toString()]).catch(() => undefined);
    client.release();
  }
  return applied;
}

/** The newest version applied, or 0 for a database dnsward never migrated. */
export async function schemaVersion(pool: pg.Pool): Promise<number> {
  const exists = await pool.query<{ t: string | null }>("SELECT to_regclass('schema_migrations') AS t");
  if (exists.rows[0]?.t === null) return 0;
  const row = await pool.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
  return row.rows[0]?.v ?? 0;
}
