// IPv6 listeners with IPv6 identity rules, and benign look-alike names dug through the running resolver
// (audit mode, so everything is forwarded) raising nothing above "low".
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { dig } from '../helpers/dig.js';
import { REPO_ROOT, startDnsward, type Dnsward } from '../helpers/dnsward.js';
import { startUnbound, type Unbound } from '../helpers/unbound.js';

const run = promisify(execFile);

/** Names whose shape looks like data but is not (CDN, cloud, reverse DNS, mail auth, DNSBL, AV). */
const LOOKALIKES: [string, string][] = [
  ['e4821.dscb.akamaiedge.net', 'A'],
  ['d3k2m8x9q0w1e2.cloudfront.net', 'A'],
  ['rr3---sn-q4fl6n6r.googlevideo.com', 'A'],
  ['internal-api-7f3a9c2e1b-123456789.us-west-2.elb.amazonaws.com', 'A'],
  ['b.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa', 'PTR'],
  ['_dmarc.mail-vendor.com', 'TXT'],
  ['selector1._domainkey.mail-vendor.com', 'TXT'],
  ['_acme-challenge.app.mail-vendor.com', 'TXT'],
  ['4.3.2.192.zen.spamhaus.org', 'A'],
  ['9f86d081884c7d659a2feaa0c55ad015a3bf4f1b.sxl.sophosxl.net', 'A'],
];

describe('IPv6 and benign look-alikes', () => {
  let unbound: Unbound;
  let server: Dnsward;

  before(async () => {
    unbound = await startUnbound(
      'lookalike.test',
      [
        'lookalike.test. 60 IN A 192.0.2.1',
        ...LOOKALIKES.map(([name, type]) =>
          type === 'TXT'
            ? `${name}. 60 IN TXT "v=ok"`
            : type === 'PTR'
              ? `${name}. 60 IN PTR host.example.`
              : `${name}. 60 IN A 192.0.2.9`,
        ),
      ],
      LOOKALIKES.map(([name]) => `local-zone: "${name}." static`),
    );
    server = await startDnsward({
      listen: { udp: ['[::1]:0'], tcp: ['[::1]:0'] },
      upstreams: { default: [`127.0.0.1:${unbound.port}`] },
      identity: { defaultGroup: 'nobody' },
      groups: [
        {
          name: 'v6-agents',
          tier: 3,
          clients: [{ cidr: '::1/128', agent: 'v6-agent' }],
          mode: 'audit',
          qtypes: ['A', 'AAAA', 'TXT', 'PTR'],
        },
      ],
    });
  });

  after(async () => {
    await server.stop();
    await unbound.stop();
  });

  it('answers over IPv6 UDP and TCP and attributes the IPv6 client', async () => {
    for (const tcp of [false, true]) {
      const result = await dig(server.port, 'lookalike.test', { tcp }, '::1');
      assert.equal(result.status, 'NOERROR');
      assert.deepEqual(result.answers, ['lookalike.test. 60 IN A 192.0.2.1']);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts', 'queries', '--db', server.dbPath, '--json'],
      { cwd: REPO_ROOT },
    );
    const rows = JSON.parse(stdout) as { agentId: string; clientIp: string; group: string }[];
    assert.ok(rows.length >= 2);
    assert.ok(rows.every((r) => r.agentId === 'v6-agent' && r.clientIp === '::1' && r.group === 'v6-agents'));
  });

  it('raises nothing above low for benign look-alike names', async () => {
    for (let round = 0; round < 3; round++) {
      for (const [name, type] of LOOKALIKES)
        assert.equal((await dig(server.port, name, { type }, '::1')).status, 'NOERROR', name);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts', 'alerts', 'list', '--db', server.dbPath, '--json'],
      { cwd: REPO_ROOT },
    );
    const alerts = JSON.parse(stdout) as { rule: string; severity: string; baseDomain: string }[];
    const loud = alerts.filter((a) => a.severity !== 'low');
    assert.deepEqual(loud, []);
  });
});
