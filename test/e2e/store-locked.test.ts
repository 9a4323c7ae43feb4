// M5: with the stages inline on the answer thread (store.thread: never, as on a 1-CPU host), another process's
// lock on the database never stalls answers: the writer waits a few milliseconds, holds the rows and retries.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { startDnsward, type Dnsward } from '../helpers/dnsward.js';
import { waitFor } from '../helpers/processes.js';
import { udpQuery } from '../helpers/udp-query.js';

describe('M5: a database locked by another process', () => {
  let server: Dnsward;

  before(async () => {
    server = await startDnsward({
      upstreams: { default: ['127.0.0.1:9'] },
      identity: { defaultGroup: 'nobody' },
      store: { thread: 'never', flushIntervalMs: 20 },
      log: { level: 'warn' },
    });
  });

  after(async () => {
    await server.stop();
  });

  it('M5: a lock held by another process never stalls answers (inline store); the rows are written after', async () => {
    // denied names: answered by policy, so only the store could make them slow
    assert.equal((await udpQuery(server.port, 'warm.example.org'))?.rcode, 'REFUSED');
    const other = new Database(server.dbPath, { timeout: 5000 });
    try {
      other.exec('BEGIN EXCLUSIVE');
      for (let i = 0; i < 30; i++) {
        const reply = await udpQuery(server.port, `locked-${i}.example.org`, { timeoutMs: 1000 });
        assert.equal(reply?.rcode, 'REFUSED', `query ${i} while the lock is held`);
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
      other.exec('COMMIT');
      await waitFor(
        () => {
          const row = other
            .prepare("SELECT count(*) AS n FROM queries WHERE qname LIKE 'locked-%'")
            .get() as {
            n: number;
          };
          return row.n === 30;
        },
        10_000,
        'the held rows to be written',
      );
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
    }
  });
});
