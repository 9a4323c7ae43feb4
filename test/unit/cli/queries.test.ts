// `dnsward queries` as a function over a prepared query log.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { queries } from '../../../src/cli/commands/queries.js';
import { openDatabase } from '../../../src/store/database.js';
import { QueryLogWriter } from '../../../src/store/query-log-writer.js';
import { event, T0 } from '../detect/scenario.js';
import { captureIo } from './io.js';

describe('dnsward queries', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dnsward-cli-queries-'));
  const db = join(dir, 'q.db');
  after(() => rmSync(dir, { recursive: true, force: true }));
  before(() => {
    const handle = openDatabase(db);
    new QueryLogWriter(handle, 365 * 86_400_000).consume([
      event({ ts: T0, qname: 'api.example.org' }),
      event({
        ts: T0 + 1000,
        qname: 'x.tunnel.test',
        decision: 'deny',
        rcode: 'NXDOMAIN',
        agentId: 'agent-b',
      }),
      event({ ts: T0 + 2000, qname: 'cdn.example.org', group: 'other' }),
    ]);
    handle.close();
  });

  const json = async (options: Record<string, string>): Promise<{ qname: string; ts: string }[]> => {
    const io = captureIo(T0 + 3000);
    await queries({ db, limit: '1000', json: true, ...options }, io);
    return JSON.parse(io.stdout()) as { qname: string; ts: string }[];
  };

  it('prints a table, newest first', async () => {
    const io = captureIo(T0 + 3000);
    await queries({ db, limit: '1000' }, io);
    const lines = io.stdout().trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^ts\s+agentId\s+group\s+clientIp/);
    assert.equal(lines.length, 4);
    assert.match(lines[1] ?? '', /cdn\.example\.org/);
  });

  it('filters by agent, decision, group, name, since and limit', async () => {
    assert.deepEqual(
      (await json({ agent: 'agent-b' })).map((q) => q.qname),
      ['x.tunnel.test'],
    );
    assert.deepEqual(
      (await json({ decision: 'deny' })).map((q) => q.qname),
      ['x.tunnel.test'],
    );
    assert.deepEqual(
      (await json({ group: 'other' })).map((q) => q.qname),
      ['cdn.example.org'],
    );
    assert.deepEqual((await json({ name: '*.example.org' })).map((q) => q.qname).sort(), [
      'api.example.org',
      'cdn.example.org',
    ]);
    assert.deepEqual(
      (await json({ since: new Date(T0 + 1500).toISOString() })).map((q) => q.qname),
      ['cdn.example.org'],
    );
    assert.equal((await json({ limit: '1' })).length, 1);
    assert.equal((await json({}))[2]?.ts, new Date(T0).toISOString());
  });
});
