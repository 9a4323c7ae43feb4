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
});
