// H1: a store that cannot write (every file capped by RLIMIT_FSIZE, as on a full volume) must not switch detection
// off: the NDJSON alert line is written, the quarantine is in force, /readyz fails with the real cause, and the
// failure is logged once per interval rather than per batch.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { openDatabase } from '../../src/store/database.js';
import { spawnDnsward, type Dnsward } from '../helpers/dnsward.js';
import { waitFor } from '../helpers/processes.js';
import { udpQuery } from '../helpers/udp-query.js';
import { startUnbound, type Unbound } from '../helpers/unbound.js';

const ZONE = 'full.example';

function readyz(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/readyz' }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('H1: a store that cannot write', () => {
  let unbound: Unbound;
  let server: Dnsward;
  let dir: string;

  before(async () => {
    unbound = await startUnbound(
      ZONE,
      [`ok.${ZONE}. 60 IN A 192.0.2.70`],
      [`local-zone: "t.${ZONE}." redirect`],
    );
    dir = mkdtempSync(join(tmpdir(), 'dnsward-harden-full-'));
    const dbPath = join(dir, 'dnsward.db');
    // the schema is in place before the limit applies; then no file may grow more than 48 KiB past it
    openDatabase(dbPath).close();
    const limit = statSync(dbPath).size + 48 * 1024;
    writeFileSync(
      join(dir, 'allow.yaml'),
      `entries:\n  - { domain: "*.t.${ZONE}", justification: "wildcard under test", owner: qa, added: 2026-01-01 }\n  - { domain: "ok.${ZONE}", justification: "control", owner: qa, added: 2026-01-01 }\n`,
    );
    const configPath = join(dir, 'dnsward.yaml');
    writeFileSync(
      configPath,
      stringify({
        listen: { udp: ['127.0.0.1:0'], tcp: ['127.0.0.1:0'] },
        upstreams: { default: [`127.0.0.1:${unbound.port}`] },
        identity: { defaultGroup: 'nobody' },
        groups: [
          {
            name: 'agents',
            tier: 3,
            clients: ['127.0.0.7/32'],
            allowlists: ['allow.yaml'],
            qtypes: ['A', 'TXT'],
            quarantine: { onSeverity: 'high', scope: 'agent', duration: '10m' },
          },
        ],
        store: { path: dbPath, flushIntervalMs: 20, ndjson: 'stdout' },
        metrics: { listen: '127.0.0.1:0' },
      }),
    );
    server = await spawnDnsward(dir, configPath, dbPath, { fileSizeLimit: limit });
  });

  after(async () => {
    await server.stop();
    await unbound.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('H1: detection, NDJSON alerts, quarantine and /readyz do not depend on a store write succeeding', async () => {
    const metricsPort = Number(/"metrics":(\d+)/.exec(server.output())?.[1]);
    assert.ok(metricsPort > 0);
    // fill the store: unique names until the query log can no longer be written
    let i = 0;
    await waitFor(
      async () => {
        for (let k = 0; k < 20; k++) await udpQuery(server.port, `fill-${i++}-${'f'.repeat(40)}.ok.${ZONE}`);
        return /SQLITE_(FULL|IOERR)/.test(server.output());
      },
      30_000,
      'the store to fill',
    );

    // a tunnel under the allowed wildcard, from one agent
    for (let n = 0; n < 150; n++) {
      const chunk = Buffer.from(`secret-record-${n}-${'k'.repeat(20)}`)
        .toString('hex')
        .slice(0, 50);
      await udpQuery(server.port, `${chunk}.t.${ZONE}`, { source: '127.0.0.7', type: 'TXT' });
    }
    await waitFor(() => /"event":"alert"/.test(server.output()), 15_000, 'an NDJSON alert line');
    await waitFor(
      async () => (await udpQuery(server.port, `ok.${ZONE}`, { source: '127.0.0.7' }))?.rcode === 'NXDOMAIN',
      10_000,
      'the agent to be quarantined',
    );
    assert.match(server.output(), /quarantined: high/);

    const ready = await readyz(metricsPort);
    assert.equal(ready.status, 503);
    const report = JSON.parse(ready.body) as { checks: { database: boolean }; databaseCause?: string };
    assert.equal(report.checks.database, false);
    assert.match(report.databaseCause ?? '', /SQLITE_(FULL|IOERR)/);

    // every failed batch is counted, but the log says so about once per 10 s, not once per batch
    assert.match(server.output(), /query log write failed/);
    const failures = server.output().match(/query log write failed/g) ?? [];
    assert.ok(failures.length <= 3, `${failures.length} failure lines`);
  });
});
