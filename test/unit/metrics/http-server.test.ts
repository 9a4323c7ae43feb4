// The metrics/health listener on a loopback port: /readyz follows an injected readiness state (503 until
// listeners, policy and database are all up), /healthz is always 200, /metrics is Prometheus text.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  createHealthHandler,
  startMetricsServer,
  type MetricsServer,
} from '../../../src/metrics/http-server.js';
import { databaseWritableProbe, Readiness, type ReadinessReport } from '../../../src/metrics/readiness.js';
import { ServerMetrics } from '../../../src/metrics/registry.js';
import { openDatabase } from '../../../src/store/database.js';

describe('metrics HTTP listener', () => {
  let server: MetricsServer;
  let report: ReadinessReport = {
    ready: false,
    checks: { listeners: false, policy: false, database: false },
  };
  const metrics = new ServerMetrics({ processMetrics: false });
  const url = (path: string): string => `http://127.0.0.1:${server.port}${path}`;

  before(async () => {
    server = await startMetricsServer(
      { host: '127.0.0.1', port: 0 },
      createHealthHandler({ metrics: () => metrics.exposition(), readiness: () => report }),
    );
  });
  after(() => server.close());

  it('answers /readyz 503 with the failing checks until everything is up, then 200', async () => {
    let res = await fetch(url('/readyz'));
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), report);
    report = { ready: false, checks: { listeners: true, policy: true, database: false } };
    res = await fetch(url('/readyz'));
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as ReadinessReport).checks.database, false);
    report = { ready: true, checks: { listeners: true, policy: true, database: true } };
    res = await fetch(url('/readyz'));
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as ReadinessReport).ready, true);
  });

  it('answers /healthz 200 whatever the readiness', async () => {
    report = { ready: false, checks: { listeners: false, policy: false, database: false } };
    const res = await fetch(url('/healthz'));
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'ok\n');
  });

  it('serves /metrics as Prometheus text, 404 elsewhere, 405 for other methods', async () => {
    const res = await fetch(url('/metrics'));
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    assert.match(await res.text(), /^# HELP dnsward_queries_total /m);
    assert.equal((await fetch(url('/metrics?x=1'))).status, 200);
    assert.equal((await fetch(url('/nope'))).status, 404);
    assert.equal((await fetch(url('/metrics'), { method: 'POST', body: 'x' })).status, 405);
    const head = await fetch(url('/readyz'), { method: 'HEAD' });
    assert.equal(head.status, 503);
  });
});

describe('Readiness', () => {
  it('is ready only with listeners bound, a policy loaded and the database writable', () => {
    let writable = true;
    const readiness = new Readiness(() => writable);
    assert.equal(readiness.report().ready, false);
    readiness.policyLoaded = true;
    assert.deepEqual(readiness.report().checks, { listeners: false, policy: true, database: false });
    readiness.listenersBound = true;
    assert.equal(readiness.report().ready, true);
    writable = false;
    assert.deepEqual(readiness.report(), {
      ready: false,
      checks: { listeners: true, policy: true, database: false },
    });
  });

  it('probes the database file: writable; not when missing or read-only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dnsward-probe-'));
    const path = join(dir, 'probe.db');
    openDatabase(path).close();
    const probe = databaseWritableProbe(path, 0);
    try {
      assert.equal(probe.check(), true);
      assert.equal(databaseWritableProbe(join(dir, 'missing.db'), 0).check(), false);
      assert.equal(databaseWritableProbe(':memory:', 0).check(), true);
      // root writes read-only files anyway; the mode check only means something for other users
      if (process.getuid?.() !== 0) {
        probe.close();
        chmodSync(path, 0o444);
        assert.equal(probe.check(), false);
      }
    } finally {
      probe.close();
      chmodSync(path, 0o644);
    }
  });
});
