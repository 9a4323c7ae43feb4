// Crash safety: `kill -9` the server in the middle of a query-log write burst. On restart the database opens,
// passes PRAGMA integrity_check, holds at least every row that was committed before the kill (and every alert,
// when the alerts table exists), and the server answers and logs again. With PostgreSQL: one of two replicas
// killed mid-burst loses no committed row, leaves no torn or doubled row, and the other keeps writing.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { dig } from '../helpers/dig.js';
import { spawnDnsward, startDnsward, type Dnsward } from '../helpers/dnsward.js';
import { startPostgres } from '../helpers/postgres.js';
import { waitFor } from '../helpers/processes.js';
import { sendLoad } from '../helpers/udp-load.js';

const ROUNDS = 3;
const ROWS_PER_ROUND = 15_000;

function counts(path: string): { rows: number; alerts: number | null } {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const rows = (db.prepare('SELECT count(*) AS n FROM queries').get() as { n: number }).n;
    const hasAlerts = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alerts'")
      .get();
    const alerts = hasAlerts
      ? (db.prepare('SELECT count(*) AS n FROM alerts').get() as { n: number }).n
      : null;
    return { rows, alerts };
  } finally {
    db.close();
  }
}

describe('kill -9 during a query-log write burst', () => {
  const running: Dnsward[] = [];
  after(async () => {
    for (const server of running) await server.stop();
  });

  it(`reopens intact after ${ROUNDS} kills, keeps every committed row, and serves again`, async (t) => {
    let server = await startDnsward({
      identity: { defaultGroup: 'agents' },
      groups: [{ name: 'agents', tier: 3, clients: ['127.0.0.0/8'] }],
      log: { level: 'error' },
    });
    running.push(server);
    const { dir, configPath, dbPath } = server;
    for (let round = 1; round <= ROUNDS; round++) {
      if (round > 1) {
        server = await spawnDnsward(dir, configPath, dbPath);
        running.push(server);
      }
      const start = counts(dbPath).rows;
      let killed = false;
      // unique denied names at full speed from two agents: a steady stream of batched transactions
      const load = sendLoad({
        port: server.port,
        streams: ['127.0.0.2', '127.0.0.3'].map((source, k) => ({
          source,
          count: 1_000_000,
          name: (i: number) => `burst${round}-${k}-${i}.crash.test`,
        })),
        timeoutMs: 500,
        deadlineMs: 60_000,
        stopWhen: () => killed,
      });
      await waitFor(
        () => counts(dbPath).rows - start >= ROWS_PER_ROUND,
        45_000,
        `${ROWS_PER_ROUND} more committed rows`,
      );
      const before = counts(dbPath);
      const child = server.process.child;
      process.kill(child.pid ?? 0, 'SIGKILL');
      killed = true;
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve();
        else child.once('exit', () => resolve());
      });
      const sent = await load;
      assert.equal(child.signalCode, 'SIGKILL');

      // the database opens read-write (WAL recovery), is intact, and lost nothing that was committed
      const db = new Database(dbPath);
      try {
        assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
        const rows = (db.prepare('SELECT count(*) AS n FROM queries').get() as { n: number }).n;
        const answered = sent.streams.reduce((sum, x) => sum + x.answered, 0);
        t.diagnostic(
          `round ${round}: ${before.rows - start} rows committed when killed, ${rows - start} after recovery, ` +
            `${answered} queries answered (the rest of those were in memory, not yet committed)`,
        );
        assert.ok(rows >= before.rows, `${rows} rows after recovery < ${before.rows} committed`);
        const torn = db
          .prepare(
            "SELECT count(*) AS n FROM queries WHERE qname NOT LIKE 'burst%.crash.test' OR agent_id = ''",
          )
          .get() as { n: number };
        assert.equal(torn.n, 0, 'every recovered row is whole');
      } finally {
        db.close();
      }
      if (before.alerts !== null) assert.ok((counts(dbPath).alerts ?? 0) >= before.alerts, 'alerts survive');
    }

    // the same config and database serve again
    const recovered = counts(dbPath);
    const restarted = await spawnDnsward(dir, configPath, dbPath);
    running.push(restarted);
    assert.equal((await dig(restarted.port, 'after-crash.test')).status, 'NXDOMAIN');
    await restarted.stop();
    assert.equal(counts(dbPath).rows, recovered.rows + 1, 'the query after the restart is logged');
  });
});

describe('kill -9 of one replica writing to PostgreSQL', () => {
  it('keeps every committed row of the killed replica, with no torn or doubled row, and the other writes on', async (t) => {
    const postgres = await startPostgres();
    const servers: Dnsward[] = [];
    const url = await postgres.createDatabase('kill9');
    const client = new pg.Client({ connectionString: url });
    try {
      const replica = async (instance: string): Promise<Dnsward> => {
        const server = await startDnsward({
          identity: { defaultGroup: 'agents' },
          groups: [{ name: 'agents', tier: 3, clients: ['127.0.0.0/8'] }],
          log: { level: 'error' },
          store: { url, instance, flushIntervalMs: 20 },
        });
        servers.push(server);
        return server;
      };
      const [a, b] = [await replica('a'), await replica('b')];
      await client.connect();
      const rowsOf = async (instance: string): Promise<number> =>
        Number(
          (
            await client.query<{ n: string }>('SELECT count(*) AS n FROM query_log WHERE instance = $1', [
              instance,
            ])
          ).rows[0]?.n,
        );
      let killed = false;
      const load = (server: Dnsward, tag: string) =>
        sendLoad({
          port: server.port,
          streams: [{ source: '127.0.0.2', count: 1_000_000, name: (i: number) => `${tag}-${i}.crash.test` }],
          timeoutMs: 500,
          deadlineMs: 60_000,
          stopWhen: () => killed,
        });
      const loads = [load(a, 'a'), load(b, 'b')];
      await waitFor(
        async () => (await rowsOf('a')) >= ROWS_PER_ROUND,
        45_000,
        `${ROWS_PER_ROUND} rows from a`,
      );
      const committed = await rowsOf('a');
      const child = a.process.child;
      process.kill(child.pid ?? 0, 'SIGKILL');
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve();
        else child.once('exit', () => resolve());
      });
      const bAtKill = await rowsOf('b');
      // b keeps answering and writing after a is gone
      await waitFor(async () => (await rowsOf('b')) > bAtKill + 1000, 30_000, 'b writing on');
      killed = true;
      const [sentA] = await Promise.all(loads);
      const afterKill = await rowsOf('a');
      t.diagnostic(
        `a: ${committed} rows committed when killed, ${afterKill} after, ${sentA?.streams[0]?.answered ?? 0} answered`,
      );
      assert.ok(afterKill >= committed, `${afterKill} rows of a < ${committed} committed`);
      const doubled = await client.query<{ n: string }>(
        "SELECT count(*) AS n FROM (SELECT qname FROM query_log WHERE instance = 'a' GROUP BY qname HAVING count(*) > 1) d",
      );
      assert.equal(Number(doubled.rows[0]?.n), 0, 'no row written twice');
      const torn = await client.query<{ n: string }>(
        "SELECT count(*) AS n FROM query_log WHERE qname NOT LIKE '%.crash.test' OR agent_id = ''",
      );
      assert.equal(Number(torn.rows[0]?.n), 0, 'every row whole');
    } finally {
      await client.end().catch(() => undefined);
      for (const server of servers) await server.stop();
      await postgres.stop();
    }
  });
});
