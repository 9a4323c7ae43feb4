// `dnsward quarantine list|release` as functions over a prepared database.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { quarantineList, quarantineRelease } from '../../../src/cli/commands/quarantine.js';
import { DnswardError } from '../../../src/errors.js';
import { openDatabase } from '../../../src/store/database.js';
import { QuarantineRepository } from '../../../src/store/quarantine-repository.js';
import { captureIo } from './io.js';

const T0 = Date.UTC(2026, 5, 1);

describe('dnsward quarantine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dnsward-cli-quarantine-'));
  const db = join(dir, 'q.db');
  after(() => rmSync(dir, { recursive: true, force: true }));
  before(() => {
    const handle = openDatabase(db);
    const repo = new QuarantineRepository(handle);
    const base = { group: 'agents', createdAt: T0, reason: 'alert 1', alertId: null };
    repo.add({
      ...base,
      agentId: 'agent-a',
      scope: 'domain',
      baseDomain: 'tunnel.test',
      until: T0 + 600_000,
    });
    repo.add({ ...base, agentId: 'agent-a', scope: 'agent', baseDomain: null, until: T0 + 1_200_000 });
    repo.add({ ...base, agentId: 'agent-b', scope: 'agent', baseDomain: null, until: T0 + 60_000 });
    handle.close();
  });

  it('list shows active quarantines as a table', async () => {
    const io = captureIo(T0 + 120_000);
    await quarantineList({ db }, io);
    const lines = io.stdout().trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^id\s+agentId\s+group\s+scope\s+baseDomain/);
    assert.equal(lines.length, 3);
    assert.ok(lines.slice(1).every((line) => line.includes('agent-a') && line.includes('active')));
  });

  it('list --all --json includes expired ones with their status', async () => {
    const io = captureIo(T0 + 120_000);
    await quarantineList({ db, all: true, json: true }, io);
    const rows = JSON.parse(io.stdout()) as { agentId: string; status: string; until: string }[];
    assert.equal(rows.length, 3);
    assert.equal(rows.find((r) => r.agentId === 'agent-b')?.status, 'expired');
    assert.equal(rows[0]?.until, new Date(T0 + 600_000).toISOString());
  });

  it('release needs an id or --agent, not both', async () => {
    for (const [id, agent] of [
      [undefined, undefined],
      ['1', 'agent-a'],
    ] as const) {
      await assert.rejects(
        () => quarantineRelease(id, { db, agent }, captureIo(T0)),
        (e: unknown) => e instanceof DnswardError && e.code === 'DNSWARD_ERR_USAGE',
      );
    }
  });

  it('release by id, then every quarantine of an agent, then nothing is left to release', async () => {
    const io = captureIo(T0 + 120_000);
    await quarantineRelease('1', { db }, io);
    await quarantineRelease(undefined, { db, agent: 'agent-a' }, io);
    assert.equal(io.stdout(), 'released 1 quarantine(s)\nreleased 1 quarantine(s)\n');
    await assert.rejects(
      () => quarantineRelease(undefined, { db, agent: 'agent-a' }, io),
      (e: unknown) => e instanceof DnswardError && e.code === 'DNSWARD_ERR_NOT_FOUND',
    );
    const list = captureIo(T0 + 120_000);
    await quarantineList({ db, all: true, json: true }, list);
    const rows = JSON.parse(list.stdout()) as { agentId: string; status: string }[];
    assert.deepEqual(
      rows.filter((r) => r.agentId === 'agent-a').map((r) => r.status),
      ['released', 'released'],
    );
  });
});
