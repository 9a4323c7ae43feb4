// The fleet end to end: two `dnsward serve` processes on their own loopback ports share one real PostgreSQL.
// A tunnel split across both is one alert with the summed count, a quarantine raised through one is enforced
// by the other, a CLI ack holds on both, and `dnsward queries` lists both replicas' rows with their instance.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { REPO_ROOT, startDnsward, type Dnsward } from '../helpers/dnsward.js';
import { startPostgres, type Postgres } from '../helpers/postgres.js';
import { waitFor } from '../helpers/processes.js';
import { udpQuery } from '../helpers/udp-query.js';
import { startUnbound, type Unbound } from '../helpers/unbound.js';

const run = promisify(execFile);
const ZONE = 'fleet.example';

interface AlertRow {
  id: number;
  rule: string;
  agentId: string;
  count: number;
  severity: string;
  status: string;
}

async function cli(...args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
      cwd: REPO_ROOT,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string };
    return { code: e.code, stdout: e.stdout };
  }
}

/** The last NDJSON line of each alert id a replica wrote: its own running count of the alert. */
const streams = mkdtempSync(join(tmpdir(), 'dnsward-fleet-ndjson-'));
const streamOf = (instance: string): string => join(streams, `${instance}.ndjson`);

function localCounts(instance: string, rule: string, agent: string): Map<number, number> {
  const out = new Map<number, number>();
  let text = '';
  try {
    text = readFileSync(streamOf(instance), 'utf8');
  } catch {
    return out; // nothing written yet
  }
  for (const line of text.trim().split('\n')) {
    if (line === '') continue;
    const e = JSON.parse(line) as { event: string; id: number; rule: string; agentId: string; count: number };
    if (e.event === 'alert' && e.rule === rule && e.agentId === agent) out.set(e.id, e.count);
  }
  return out;
}

function tunnelName(i: number): string {
  return `${Buffer.from(`fleet-secret-${i}-${'k'.repeat(20)}`)
    .toString('hex')
    .slice(0, 50)}.t.${ZONE}`;
}

/** Queries of agent 127.0.0.7 sent so far: each one must be one query-log row. */
let sent = 0;
async function tunnelQuery(port: number, i: number): Promise<void> {
  sent++;
  await udpQuery(port, tunnelName(i), { source: '127.0.0.7', type: 'TXT' });
}

describe('fleet: two replicas on one PostgreSQL', () => {
  let pg: Postgres;
  let unbound: Unbound;
  let url: string;
  const replicas: Dnsward[] = [];

  before(async () => {
    pg = await startPostgres();
    url = await pg.createDatabase('fleet');
    unbound = await startUnbound(
      ZONE,
      [`t.${ZONE}. 60 IN A 192.0.2.60`],
      [`local-zone: "t.${ZONE}." redirect`],
    );
    for (const instance of ['replica-a', 'replica-b']) {
      replicas.push(
        await startDnsward(
          {
            upstreams: { default: [`127.0.0.1:${unbound.port}`] },
            identity: { defaultGroup: 'nobody' },
            groups: [
              {
                name: 'agents',
                tier: 3,
                clients: ['127.0.0.7/32'],
                allowlists: ['allow.yaml'],
                qtypes: ['A', 'TXT'],
              },
              {
                name: 'held',
                tier: 3,
                clients: ['127.0.0.8/32'],
                allowlists: ['allow.yaml'],
                qtypes: ['A', 'TXT'],
                quarantine: { onSeverity: 'high', scope: 'domain', duration: '10m' },
              },
            ],
            store: { url, instance, ndjson: streamOf(instance), flushIntervalMs: 20, thread: 'never' },
          },
          {
            'allow.yaml': `entries:\n  - { domain: "*.t.${ZONE}", justification: "wildcard under test", owner: qa, added: 2026-01-01 }\n`,
          },
        ),
      );
    }
  });

  after(async () => {
    for (const r of replicas) await r.stop();
    await unbound.stop();
    await pg.stop();
    rmSync(streams, { recursive: true, force: true });
  });

  it('a tunnel split across both replicas is one alert whose count is the sum of both', async () => {
    const [a, b] = replicas as [Dnsward, Dnsward];
    for (let i = 0; i < 160; i++) {
      await tunnelQuery((i % 2 === 0 ? a : b).port, i);
    }
    const stored = async (): Promise<AlertRow[]> =>
      (
        JSON.parse(
          (await cli('alerts', 'list', '--db', url, '--agent', '127.0.0.7', '--json')).stdout,
        ) as AlertRow[]
      ).filter((x) => x.rule === 'unique-subdomains');
    await waitFor(async () => (await stored()).length > 0, 15_000, 'the alert');
    // both replicas raised it, and both wrote into the same row
    await waitFor(
      () =>
        localCounts('replica-a', 'unique-subdomains', '127.0.0.7').size > 0 &&
        localCounts('replica-b', 'unique-subdomains', '127.0.0.7').size > 0,
      15_000,
      'both replicas to report the alert',
    );
    await waitFor(
      async () => {
        const [one] = await stored();
        const sum = [
          ...localCounts('replica-a', 'unique-subdomains', '127.0.0.7').values(),
          ...localCounts('replica-b', 'unique-subdomains', '127.0.0.7').values(),
        ].reduce((x, y) => x + y, 0);
        return one !== undefined && one.count === sum;
      },
      10_000,
      "the stored count to be the sum of the replicas' counts",
    );
    const rows = await stored();
    assert.equal(rows.length, 1, 'one alert fleet-wide');
    const ids = new Set([
      ...localCounts('replica-a', 'unique-subdomains', '127.0.0.7').keys(),
      ...localCounts('replica-b', 'unique-subdomains', '127.0.0.7').keys(),
    ]);
    assert.deepEqual([...ids], [rows[0]?.id]);
  });

  it('an ack from the CLI holds while both replicas keep updating the alert', async () => {
    const [a, b] = replicas as [Dnsward, Dnsward];
    const list = async (): Promise<AlertRow[]> =>
      JSON.parse(
        (await cli('alerts', 'list', '--db', url, '--rule', 'unique-subdomains', '--json')).stdout,
      ) as AlertRow[];
    // an escalation past an ack reopens the alert (by design): ack it once it is at the rule's top severity
    let next = 200;
    for (let round = 0; round < 10 && (await list())[0]?.severity !== 'high'; round++) {
      for (const end = next + 20; next < end; next++) await tunnelQuery((next % 2 === 0 ? a : b).port, next);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    const [alert] = await list();
    assert.ok(alert);
    assert.equal(alert.severity, 'high');
    assert.equal(
      (await cli('alerts', 'ack', String(alert.id), '--db', url, '--reason', 'fleet test')).code,
      0,
    );
    for (let i = next; i < next + 40; i++) {
      await tunnelQuery((i % 2 === 0 ? a : b).port, i);
    }
    await waitFor(
      async () => ((await list())[0]?.count ?? 0) > alert.count,
      10_000,
      'the replicas to update it',
    );
    assert.equal((await list())[0]?.status, 'acked', JSON.stringify(await list()));
  });

  it('a quarantine raised through one replica is enforced by the other within 2 s', async () => {
    const [a, b] = replicas as [Dnsward, Dnsward];
    assert.equal((await udpQuery(b.port, `before.t.${ZONE}`, { source: '127.0.0.8' }))?.rcode, 'NOERROR');
    for (let i = 0; i < 160; i++)
      await udpQuery(a.port, tunnelName(1000 + i), { source: '127.0.0.8', type: 'TXT' });
    await waitFor(
      async () =>
        (
          JSON.parse((await cli('quarantine', 'list', '--db', url, '--json')).stdout) as { agentId: string }[]
        ).some((q) => q.agentId === '127.0.0.8'),
      15_000,
      'the quarantine row',
    );
    await waitFor(
      async () => (await udpQuery(b.port, `after.t.${ZONE}`, { source: '127.0.0.8' }))?.rcode === 'NXDOMAIN',
      2000,
      'the other replica to enforce it',
    );
    assert.equal((await cli('quarantine', 'release', '--agent', '127.0.0.8', '--db', url)).code, 0);
    await waitFor(
      async () =>
        (await udpQuery(a.port, `again.t.${ZONE}`, { source: '127.0.0.8' }))?.rcode === 'NOERROR' &&
        (await udpQuery(b.port, `again.t.${ZONE}`, { source: '127.0.0.8' }))?.rcode === 'NOERROR',
      2000,
      'the release to hold on both',
    );
  });

  it("`dnsward queries --db postgres://…` lists both replicas' queries with their instance", async () => {
    const out = await cli('queries', '--db', url, '--agent', '127.0.0.7', '--limit', '100000', '--json');
    assert.equal(out.code, 0);
    const rows = JSON.parse(out.stdout) as { instance: string; qname: string }[];
    const instances = new Set(rows.map((r) => r.instance));
    assert.deepEqual([...instances].sort(), ['replica-a', 'replica-b']);
    assert.equal(rows.length, sent, 'every answered query is a row, none twice');
    const check = await cli('store', 'check', '--db', url, '--json');
    assert.equal(check.code, 0);
    assert.equal((JSON.parse(check.stdout) as { engine: string }).engine, 'postgres');
  });
});
