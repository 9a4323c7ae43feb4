// The stages inline: a query log that cannot be written (here: its table gone; in life a full disk) costs the
// batch's rows, counted as lost, never the resolver; detection still sees the batch.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { detectionSection } from '../../../src/config/sections/detection.js';
import { storeSection } from '../../../src/config/sections/store.js';
import type { AlertState } from '../../../src/model/alert.js';
import { Stages } from '../../../src/events/stages.js';
import { pino } from 'pino';
import { createLogger } from '../../../src/log/logger.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { countQueries } from '../../../src/store/query-log-reader.js';
import { event, T0 } from '../detect/scenario.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsward-stages-inline-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('Stages (inline)', () => {
  it('counts a batch the query log cannot write as lost and keeps detecting', async () => {
    const path = join(dir, 'd.db');
    const store = new SqliteStore(path, { instance: 'test', retentionMs: 86_400_000 });
    const { db } = store;
    const alerts: AlertState[] = [];
    const lost: number[] = [];
    const stages = await Stages.create(
      store,
      { store: storeSection.parse({ path }), detection: detectionSection.parse({}) },
      createLogger('silent'),
      { onAlerts: (a) => alerts.push(...a), onLost: (n) => lost.push(n) },
    );
    stages.consume([event({ ts: T0 }), event({ ts: T0 + 1 })]);
    await stages.idle();
    assert.equal(stages.queryLog?.written, 2);
    db.exec('DROP TABLE query_log_segment_agents');
    const burst = [
      event({ ts: T0 + 2 }),
      event({ ts: T0 + 3, qtype: 'NULL', qname: 'x.tunnel.example.net' }),
    ];
    assert.doesNotThrow(() => stages.consume(burst));
    await stages.idle();
    assert.deepEqual(lost, [2]);
    assert.equal(countQueries(db), 2, 'the failed batch left no partial segment');
    assert.ok(
      alerts.some((a) => a.rule === 'null-qtype'),
      'detection saw the batch',
    );
    assert.doesNotThrow(() => stages.recordDrops(5));
    await stages.close();
    await store.close();
  });

  it('H1: the query log stops at its size cap (high-water mark), counts the drop and keeps detecting', async () => {
    const path = join(dir, 'capped.db');
    // 1 MiB: the schema alone is well under it; 6000 rows of long names are over
    const store = new SqliteStore(path, {
      instance: 'test',
      retentionMs: 86_400_000,
      queryLogMaxBytes: 1 << 20,
    });
    const alerts: AlertState[] = [];
    const lost: number[] = [];
    const stages = await Stages.create(
      store,
      { store: storeSection.parse({ path, queryLogMaxMiB: 1 }), detection: detectionSection.parse({}) },
      createLogger('silent'),
      { onAlerts: (a) => alerts.push(...a), onLost: (n) => lost.push(n) },
    );
    for (let b = 0; b < 60; b++)
      stages.consume(
        Array.from({ length: 100 }, (_, i) =>
          event({ ts: T0 + b * 100 + i, qname: `${'n'.repeat(120)}-${b}-${i}.example.org` }),
        ),
      );
    await stages.idle();
    const written = stages.queryLog?.written ?? 0;
    assert.ok(written > 0 && written < 6000, `${written} rows written`);
    assert.equal(
      lost.reduce((a, n) => a + n, 0),
      6000 - written,
      'every row not written is counted',
    );
    stages.consume([event({ ts: T0 + 5000, qtype: 'NULL', qname: 'x.tunnel.example.net' })]);
    await stages.idle();
    assert.ok(alerts.some((a) => a.rule === 'null-qtype'));
    assert.equal(stages.store.writable, true, 'a capped query log is not a broken store');
    await stages.close();
    await store.close();
  });

  it('L9: a failing query log is logged with its real cause, once per interval, not once per batch', async () => {
    const path = join(dir, 'l9.db');
    const store = new SqliteStore(path, { instance: 'test', retentionMs: 86_400_000 });
    const { db } = store;
    const lines: { msg: string; cause?: string; held?: number }[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as never) });
    const stages = await Stages.create(
      store,
      { store: storeSection.parse({ path }), detection: detectionSection.parse({ enabled: false }) },
      log,
      { onAlerts: () => undefined, onLost: () => undefined },
    );
    db.exec('DROP TABLE query_log_segment_agents');
    for (let b = 0; b < 50; b++) stages.consume([event({ ts: T0 + b })]);
    await stages.idle();
    const failures = lines.filter((l) => l.msg === 'query log write failed: rows dropped');
    assert.equal(failures.length, 1, JSON.stringify(lines));
    assert.match(failures[0]?.cause ?? '', /^SQLITE_ERROR: no such table/);
    assert.equal(stages.store.writable, false);
    assert.match(stages.store.cause ?? '', /no such table/);
    await stages.close();
    await store.close();
  });

  it('after a failed write, later batches are dropped untried until the backoff has passed, then writing resumes', async () => {
    const path = join(dir, 'backoff.db');
    const store = new SqliteStore(path, { instance: 'test', retentionMs: 86_400_000 });
    let tries = 0;
    let down = true;
    const write = store.queryLog.write.bind(store.queryLog);
    store.queryLog.write = (batch, rows) => {
      tries++;
      return down ? Promise.reject(new Error('ECONNREFUSED')) : write(batch, rows);
    };
    const lost: number[] = [];
    const stages = await Stages.create(
      store,
      { store: storeSection.parse({ path }), detection: detectionSection.parse({ enabled: false }) },
      createLogger('silent'),
      { onAlerts: () => undefined, onLost: (n) => lost.push(n) },
    );
    for (let b = 0; b < 20; b++) stages.consume([event({ ts: T0 + b })]);
    await stages.idle();
    assert.equal(tries, 1, 'one try, then the backoff: not a reconnect per batch');
    assert.equal(
      lost.reduce((a, b) => a + b, 0),
      20,
      'every row counted',
    );
    down = false;
    // the first pause is 50-100 ms
    await new Promise((resolve) => setTimeout(resolve, 150));
    stages.consume([event({ ts: T0 + 100 })]);
    await stages.idle();
    assert.equal(tries, 2);
    assert.equal(stages.queryLog?.written, 1);
    assert.equal(stages.store.writable, true);
    await stages.close();
    await store.close();
  });
});
