// ConnectionRepository against a temp-file database: batched insert, filters, newest first, retention.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { ConnectionEvent } from '../../../src/model/connection-event.js';
import { ConnectionRepository } from '../../../src/store/connection-repository.js';
import { openDatabase } from '../../../src/store/database.js';

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const dir = mkdtempSync(join(tmpdir(), 'dnsward-connrepo-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function conn(overrides: Partial<ConnectionEvent>): ConnectionEvent {
  return {
    ts: T0,
    agentId: 'agent-a',
    group: 'research',
    srcIp: '10.0.0.5',
    proto: 'tcp',
    srcPort: 40000,
    dst: '192.0.2.7',
    dstPort: 443,
    decision: 'allowed',
    bytesOut: 100,
    bytesIn: 2000,
    durationMs: 1500,
    qname: 'api.example.org',
    ...overrides,
  };
}

describe('ConnectionRepository', () => {
  const db = openDatabase(join(dir, 'c.db'));
  const repo = new ConnectionRepository(db);
  repo.saveBatch([
    conn({ ts: T0 }),
    conn({ ts: T0 + 1000, agentId: 'agent-b', dst: '198.51.100.9', decision: 'dropped', qname: null }),
    conn({ ts: T0 + 2000, dst: '198.51.100.9', decision: 'dropped', qname: null, bytesIn: 0 }),
  ]);

  const cases: { name: string; filter: Parameters<ConnectionRepository['find']>[0]; times: number[] }[] = [
    { name: 'everything, newest first', filter: {}, times: [2000, 1000, 0] },
    { name: 'one agent', filter: { agent: 'agent-a' }, times: [2000, 0] },
    { name: 'one destination', filter: { dst: '198.51.100.9' }, times: [2000, 1000] },
    { name: 'dropped only', filter: { decision: 'dropped', agent: 'agent-b' }, times: [1000] },
    { name: 'since', filter: { sinceMs: T0 + 1000 }, times: [2000, 1000] },
    { name: 'limit', filter: { limit: 1 }, times: [2000] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(
        repo.find(c.filter).map((r) => r.ts - T0),
        c.times,
      );
    });
  }

  it('reads back every field', () => {
    assert.deepEqual(repo.find({ agent: 'agent-a', decision: 'allowed' }), [conn({ ts: T0 })]);
  });

  it('prunes rows older than the retention', () => {
    assert.equal(repo.prune(T0 + 1500), 2);
    assert.deepEqual(
      repo.find().map((r) => r.ts - T0),
      [2000],
    );
  });
});
