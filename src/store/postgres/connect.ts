// A pool for a `postgres://` store URL: PG* environment variables and ~/.pgpass (or PGPASSFILE) fill what the URL
// leaves out, as libpq does; `sslmode`, `sslrootcert`, `sslcert`, `sslkey` in the URL pass through to TLS.
import { readFileSync } from 'node:fs';
import pg from 'pg';

/** BIGINT columns hold epoch ms and counts, all far below 2^53: read them as numbers. */
const types = new pg.TypeOverrides();
types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

export interface PoolOptions {
  /** A file holding the password (a Kubernetes Secret mounted as a file); its trailing newline is dropped. */
  readonly passwordFile?: string | null | undefined;
  readonly max?: number | undefined;
  /** Give up on a connection attempt after this long: a database away must never hang a caller. */
  readonly connectTimeoutMs?: number | undefined;
}

export function createPool(url: string, options: PoolOptions = {}): pg.Pool {
  const password =
    options.passwordFile === undefined || options.passwordFile === null
      ? undefined
      : readFileSync(options.passwordFile, 'utf8').replace(/\r?\n$/, '');
  const pool = new pg.Pool({
    connectionString: url,
    ...(password !== undefined && { password }),
    max: options.max ?? 4,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    idleTimeoutMillis: 30_000,
    types,
  });
  // an idle client whose server went away: the pool drops it; the next query reconnects
  pool.on('error', () => undefined);
  return pool;
}

/** Runs `fn` in one transaction on one client of the pool. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
