// The detection consumer on a real SQLite file: batched writes, restart continuity, mutes, acks, kill -9.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { detectionSection } from '../../../src/config/sections/detection.js';
import { createDetectionConsumer } from '../../../src/detect/consumer.js';
import { AlertRepository } from '../../../src/store/alert-repository.js';
import { openDatabase } from '../../../src/store/database.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { T0, tunnel } from './scenario.js';

const zone = 'x.tunnel-example.org';
const config = detectionSection.parse({ alerts: { mutesRefreshSeconds: 1 } });

const open = (path: string): SqliteStore =>
  new SqliteStore(path, { instance: 'test', retentionMs: 86_400_000 });

describe('createDetectionConsumer', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dnsward-detect-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('stores alerts per batch and updates the same rows on later batches', async () => {
    const store = open(join(dir, 'a.db'));
    const db = store.db;
    const consumer = await createDetectionConsumer({ alerts: store.alerts, config, now: () => T0 });
    const events = tunnel({ zone, count: 200, intervalMs: 500 });
    await consumer.consume(events.slice(0, 40));
    const repo = new AlertRepository(db);
    const first = repo.list({ rule: 'unique-subdomains' });
    assert.equal(first.length, 1);
    const [before] = first;
    assert.ok(before);
    assert.equal(before.severity, 'medium');
    await consumer.consume(events.slice(40));
    const second = repo.list({ rule: 'unique-subdomains' });
    assert.equal(second.length, 1);
    const [after] = second;
    assert.ok(after);
    assert.equal(after.id, before.id);
    assert.equal(after.severity, 'high');
    assert.equal(consumer.failedBatches(), 0);
    db.close();
  });

  it('continues the same alerts after a restart instead of duplicating them', async () => {
    const path = join(dir, 'b.db');
    const events = tunnel({ zone, count: 200, intervalMs: 500 });
    let store = open(path);
    await (
      await createDetectionConsumer({ alerts: store.alerts, config, now: () => T0 })
    ).consume(events.slice(0, 100));
    const before = new AlertRepository(store.db).list().length;
    store.db.close();
    store = open(path);
    const db = store.db;
    await (
      await createDetectionConsumer({ alerts: store.alerts, config, now: () => T0 + 60_000 })
    ).consume(events.slice(100));
    const repo = new AlertRepository(db);
    assert.equal(repo.list().length, before);
    const unique = repo.list({ rule: 'unique-subdomains' })[0];
    assert.ok(unique && unique.count > 100);
    db.close();
  });

  it('applies mutes written by the CLI while it runs, and keeps acks', async () => {
    const store = open(join(dir, 'c.db'));
    const db = store.db;
    let now = T0;
    const consumer = await createDetectionConsumer({ alerts: store.alerts, config, now: () => now });
    const repo = new AlertRepository(db);
    await consumer.consume(tunnel({ zone, count: 60, intervalMs: 500 }));
    const acked = repo.list({ rule: 'unique-subdomains' })[0];
    assert.ok(acked);
    repo.ack(acked.id, now);
    repo.mute({ domain: 'muted-example.net', agentId: null, reason: 'lab traffic', untilMs: null }, now);
    now += 2000;
    await consumer.consume(tunnel({ zone, count: 5, intervalMs: 500, start: T0 + 31_000, seed: 3 }));
    await consumer.consume(
      tunnel({ zone: 'y.muted-example.net', count: 60, intervalMs: 500, start: T0 + 40_000 }),
    );
    assert.equal(repo.get(acked.id)?.status, 'acked');
    const muted = repo.list({ domain: 'muted-example.net' });
    assert.ok(muted.length > 0);
    assert.ok(muted.every((a) => a.status === 'muted' && a.statusReason === 'lab traffic'));
    db.close();
  });

  it('does nothing when detection is disabled', async () => {
    const store = open(join(dir, 'd.db'));
    const db = store.db;
    await (
      await createDetectionConsumer({
        alerts: store.alerts,
        config: detectionSection.parse({ enabled: false }),
      })
    ).consume(tunnel({ zone, count: 200, intervalMs: 500 }));
    assert.equal(new AlertRepository(db).list().length, 0);
    db.close();
  });

  it('committed alerts survive kill -9', () => {
    const path = join(dir, 'e.db');
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./kill-writer.ts', import.meta.url)), path],
      { encoding: 'utf8' },
    );
    assert.equal(child.signal, 'SIGKILL');
    assert.match(child.stdout, /stored/);
    const db = openDatabase(path, { readonly: true });
    const alerts = new AlertRepository(db).list({ rule: 'unique-subdomains' });
    db.close();
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]?.severity, 'high');
  });
});
