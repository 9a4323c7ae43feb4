// The SQLite database: WAL for concurrent CLI readers, versioned schema applied from migrations/.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { DnswardError } from '../errors.js';

export type Db = Database.Database;

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

/** How long a write waits for a lock held elsewhere; the answer thread must pass a tiny value (then retry later). */
const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/**
 * Opens (creating if needed) and migrates the database. `readonly` opens for CLI queries without writing.
 * `busyTimeoutMs` applies once migrated (migrations still wait the default for a lock).
 */
export function openDatabase(path: string, options: { readonly?: boolean; busyTimeoutMs?: number } = {}): Db {
  let db: Db;
  try {
    if (!options.readonly && path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new Database(path, {
      readonly: options.readonly ?? false,
      fileMustExist: options.readonly ?? false,
    });
  } catch (error) {
    throw new DnswardError('DNSWARD_ERR_STORE', `cannot open database ${path}: ${String(error)}`, [], {
      cause: error,
    });
  }
  db.pragma(`busy_timeout = ${DEFAULT_BUSY_TIMEOUT_MS}`);
  if (options.readonly) return db;
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode: a committed transaction survives a process kill; only power loss can undo the last ones
  db.pragma('synchronous = NORMAL');
  migrate(db);
  if (options.busyTimeoutMs !== undefined) db.pragma(`busy_timeout = ${Math.floor(options.busyTimeoutMs)}`);
  return db;
}

/** migrations/NNN-*.sql, in order. */
export function migrationFiles(): string[] {
  return readdirSync(MIGRATIONS_DIR)
    .filter((f) => /^\d{3}-.+\.sql$/.test(f))
    .sort();
}

/** Applies every migrations/NNN-*.sql newer than PRAGMA user_version, each in its own transaction. */
export function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (const file of migrationFiles()) {
    const version = Number(file.slice(0, 3));
    if (version <= current) continue;
    const sql = readFileSync(join(MIGRATIONS_DIR, file), 'utf8');
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${version}`);
    })();
  }
}
