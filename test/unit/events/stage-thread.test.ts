// The stages on their own thread: every posted event lands in the query log, alerts come back to the answer
// thread, the backlog drains, and a thread that dies is restarted with its unprocessed events counted as lost.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { detectionSection } from '../../../src/config/sections/detection.js';
import { storeSection } from '../../../src/config/sections/store.js';
import type { AlertState } from '../../../src/model/alert.js';
import { StageThread, type ToStages } from '../../../src/events/stage-thread.js';
import { createLogger } from '../../../src/log/logger.js';
import { openDatabase } from '../../../src/store/database.js';
import { countQueries, findQueries } from '../../../src/store/query-log-reader.js';
import { event, T0 } from '../detect/scenario.js';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function settings(): {
  store: ReturnType<typeof storeSection.parse>;
  detection: ReturnType<typeof detectionSection.parse>;
} {
  const dir = mkdtempSync(join(tmpdir(), 'dnsward-stages-'));
  dirs.push(dir);
  const path = join(dir, 'd.db');
  openDatabase(path).close(); // migrated by the answer thread first, as serve does
  return { store: storeSection.parse({ path }), detection: detectionSection.parse({}) };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited > 30_000) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('StageThread', () => {
  it('logs every event, returns alerts, drains its backlog and finishes before close resolves', async () => {
    const s = settings();
    const alerts: AlertState[] = [];
    const thread = await StageThread.start(s, createLogger('silent'), {
      onAlerts: (a) => alerts.push(...a),
      onLost: () => assert.fail('nothing is lost'),
    });
    for (let b = 0; b < 20; b++) {
      thread.consume(
        Array.from({ length: 50 }, (_, i) => event({ ts: T0 + b * 50 + i, qname: `n${b}-${i}.example.org` })),
      );
    }
    thread.consume([event({ ts: T0 + 5000, qtype: 'NULL', qname: 'x.tunnel.example.net' })]);
    assert.ok(thread.backlog > 0);
    await until(() => thread.backlog === 0, 'the backlog to drain');
    assert.equal(thread.queryLog?.written, 1001);
    await until(() => alerts.some((a) => a.rule === 'null-qtype'), 'the NULL-query alert');
    thread.consume([event({ ts: T0 + 6000, qname: 'last.example.org' })]);
    await thread.close();
    const db = openDatabase(s.store.path, { readonly: true });
    try {
      assert.equal(countQueries(db), 1002);
      assert.equal(findQueries(db, { limit: 1 })[0]?.qname, 'last.example.org');
    } finally {
      db.close();
    }
  });

  it('reports rows it could not write as lost and keeps running', async () => {
    const s = settings();
    const lost: number[] = [];
    const thread = await StageThread.start(s, createLogger('silent'), {
      onAlerts: () => undefined,
      onLost: (n) => lost.push(n),
    });
    const db = openDatabase(s.store.path);
    db.exec('DROP TABLE query_log_segment_agents');
    db.close();
    thread.consume(Array.from({ length: 7 }, (_, i) => event({ ts: T0 + i })));
    await until(() => thread.backlog === 0, 'the batch to be handled');
    assert.deepEqual(lost, [7]);
    thread.consume([event({ ts: T0 + 10 })]);
    await until(() => thread.backlog === 0, 'the next batch');
    assert.deepEqual(lost, [7, 1]);
    await thread.close();
  });

  it('restarts a thread that died, counting as lost the events it held and those sent while it was down', async (t) => {
    const s = settings();
    const lost: number[] = [];
    const thread = await StageThread.start(s, createLogger('silent'), {
      onAlerts: () => undefined,
      onLost: (n) => lost.push(n),
    });
    t.after(() => thread.close());
    // a batch the thread cannot read kills it (never sent by the answer thread, which encodes every batch)
    (thread as unknown as { post(message: ToStages): void }).post({ kind: 'batch', rows: 'not json' });
    thread.consume(Array.from({ length: 10 }, (_, i) => event({ ts: T0 + i })));
    await until(() => lost.length > 0, 'the loss report');
    assert.deepEqual(lost, [10]);
    assert.equal(thread.backlog, 0);
    assert.equal(thread.running, false);
    // while it is down nothing is posted into the void: counted at once
    thread.consume([event({ ts: T0 + 50 }), event({ ts: T0 + 51 })]);
    assert.deepEqual(lost, [10, 2]);
    await until(() => thread.running, 'the restart');
    thread.consume([event({ ts: T0 + 100, qname: 'after.example.org' })]);
    await until(() => thread.backlog === 0, 'the restarted thread');
    await thread.close();
    const db = openDatabase(s.store.path, { readonly: true });
    try {
      assert.deepEqual(
        findQueries(db, {}).map((e) => e.qname),
        ['after.example.org'],
      );
    } finally {
      db.close();
    }
  });
});
