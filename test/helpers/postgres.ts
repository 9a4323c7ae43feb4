// A real PostgreSQL from Debian's package for tests: initdb in a temp dir owned by the postgres user, one loopback
// port, trust auth on loopback only, run as postgres via runuser; stopped by its PID.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './ports.js';
import { startProcess, waitFor, type Running } from './processes.js';

export interface Postgres {
  readonly port: number;
  /** postgres://postgres@127.0.0.1:<port>/<db> */
  readonly url: (database?: string) => string;
  /** A fresh empty database; returns its URL. */
  readonly createDatabase: (name: string) => Promise<string>;
  /** Stops the server (fast shutdown) and starts it again on the same port and data: the outage tests. */
  readonly pause: () => Promise<void>;
  readonly resume: () => Promise<void>;
  readonly stop: () => Promise<void>;
}

/** Debian installs the server binaries under /usr/lib/postgresql/<major>/bin: the newest one present. */
export function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const newest = versions[0];
  if (newest === undefined) throw new Error('no PostgreSQL under /usr/lib/postgresql (.ci/install-tools.sh)');
  return join(root, newest, 'bin');
}

function uidGid(user: string): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

export async function startPostgres(): Promise<Postgres> {
  const bin = postgresBin();
  const dir = mkdtempSync(join(tmpdir(), 'dnsward-fleet-pg-'));
  chmodSync(dir, 0o700);
  const { uid, gid } = uidGid('postgres');
  chownSync(dir, uid, gid);
  const data = join(dir, 'data');
  execFileSync(
    'runuser',
    ['-u', 'postgres', '--', join(bin, 'initdb'), '-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8'],
    { stdio: 'ignore' },
  );
  const port = await freePort();
  const url = (database = 'postgres'): string => `postgres://postgres@127.0.0.1:${port}/${database}`;
  let proc: Running | undefined;

  const start = async (): Promise<void> => {
    proc = startProcess('runuser', [
      '-u',
      'postgres',
      '--',
      join(bin, 'postgres'),
      '-D',
      data,
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=on',
      '-c',
      'max_connections=100',
    ]);
    const running = proc;
    await waitFor(
      async () => {
        const client = new pg.Client({ connectionString: url(), connectionTimeoutMillis: 1000 });
        try {
          await client.connect();
          await client.end();
          return true;
        } catch {
          return false;
        }
      },
      30_000,
      `postgres on ${port}`,
    ).catch((error: unknown) => {
      void running.stop();
      throw new Error(`${String(error)}\n${running.output()}`);
    });
  };
  // runuser is the process group leader: stopping the group by its PID stops postgres and its children
  const halt = async (): Promise<void> => {
    await proc?.stop();
    proc = undefined;
  };

  await start();
  return {
    port,
    url,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    pause: halt,
    resume: start,
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
