// Quarantine end to end: a tier-1 query and a tunnelling alert quarantine the agent/domain, the quarantine
// survives a restart, and `dnsward quarantine release` lifts it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { REPO_ROOT, spawnDnsward, startDnsward, type Dnsward } from '../helpers/dnsward.js';
import { waitFor } from '../helpers/processes.js';
import { udpQuery } from '../helpers/udp-query.js';
import { startUnbound, type Unbound } from '../helpers/unbound.js';

const run = promisify(execFile);
const ZONE = 'q.example';

interface QuarantineRow {
  id: number;
  agentId: string;
  scope: string;
  baseDomain: string | null;
  status: string;
}

async function cli(...args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
      cwd: REPO_ROOT,
    });
    return { code: 0, stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string };
    return { code: e.code, stdout: e.stdout };
  }
}

async function quarantines(db: string): Promise<QuarantineRow[]> {
  return JSON.parse((await cli('quarantine', 'list', '--db', db, '--json')).stdout) as QuarantineRow[];
}

describe('quarantine', () => {
  let unbound: Unbound;
  let server: Dnsward;

  before(async () => {
    unbound = await startUnbound(
      ZONE,
      [`t.${ZONE}. 60 IN A 192.0.2.60`, `ok.other.example. 60 IN A 192.0.2.61`],
      [`local-zone: "t.${ZONE}." redirect`],
    );
    server = await startDnsward(
      {
        upstreams: { default: [`127.0.0.1:${unbound.port}`] },
        identity: { defaultGroup: 'nobody' },
        groups: [
          {
            name: 'zero',
            tier: 1,
            clients: ['127.0.0.6/32'],
            quarantine: { onSeverity: 'high', scope: 'agent', duration: '10m' },
          },
          {
            name: 'agents',
            tier: 3,
            clients: ['127.0.0.7/32'],
            allowlists: ['allow.yaml'],
            qtypes: ['A', 'TXT'],
            quarantine: { onSeverity: 'high', scope: 'domain', duration: '10m' },
          },
        ],
        store: { flushIntervalMs: 20 },
      },
      {
        'allow.yaml': `entries:\n  - { domain: "*.t.${ZONE}", justification: "wildcard under test", owner: qa, added: 2026-01-01 }\n  - { domain: "ok.other.example", justification: "control", owner: qa, added: 2026-01-01 }\n`,
      },
    );
  });

  after(async () => {
    await server.stop();
    await unbound.stop();
  });

  it('quarantines a tier-1 agent on its first query', async () => {
    await udpQuery(server.port, 'anything.example', { source: '127.0.0.6' });
    await waitFor(
      async () => (await quarantines(server.dbPath)).some((q) => q.agentId === '127.0.0.6'),
      10_000,
      'a quarantine',
    );
    const [row] = (await quarantines(server.dbPath)).filter((q) => q.agentId === '127.0.0.6');
    assert.equal(row?.scope, 'agent');
  });

  it('quarantines the base domain of a tunnel on an allowlisted wildcard, not the agent', async () => {
    // encoded, unique names under the allowed wildcard: a tunnel the allowlist lets through
    for (let i = 0; i < 150; i++) {
      const chunk = Buffer.from(`secret-record-${i}-${'k'.repeat(20)}`)
        .toString('hex')
        .slice(0, 50);
      await udpQuery(server.port, `${chunk}.t.${ZONE}`, { source: '127.0.0.7', type: 'TXT' });
    }
    await waitFor(
      async () =>
        (await quarantines(server.dbPath)).some((q) => q.agentId === '127.0.0.7' && q.scope === 'domain'),
      15_000,
      'a domain quarantine',
    );
    const blocked = await udpQuery(server.port, `fresh.t.${ZONE}`, { source: '127.0.0.7' });
    assert.equal(blocked?.rcode, 'NXDOMAIN');
    const other = await udpQuery(server.port, 'ok.other.example', { source: '127.0.0.7' });
    assert.equal(other?.rcode, 'NOERROR');
  });

  it('keeps quarantines across a restart and releases them from the CLI', async () => {
    await server.stop();
    server = await spawnDnsward(server.dir, server.configPath, server.dbPath);
    assert.equal(
      (await udpQuery(server.port, `again.t.${ZONE}`, { source: '127.0.0.7' }))?.rcode,
      'NXDOMAIN',
    );
    const released = await cli('quarantine', 'release', '--agent', '127.0.0.7', '--db', server.dbPath);
    assert.equal(released.code, 0);
    assert.match(released.stdout, /released 1 quarantine/);
    await waitFor(
      async () =>
        (await udpQuery(server.port, `again.t.${ZONE}`, { source: '127.0.0.7' }))?.rcode === 'NOERROR',
      10_000,
      'the release to take effect',
    );
    assert.equal((await cli('quarantine', 'release', '--agent', '127.0.0.7', '--db', server.dbPath)).code, 1);
  });
});
