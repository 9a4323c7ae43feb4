// Finding M4 (security probe at b0028f1): a real NSD serves every form of internal address the probe found
// passing the rebinding guard; through dnsward each one is stripped, and public look-alikes are kept.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dig } from '../helpers/dig.js';
import { startDnsward, type Dnsward } from '../helpers/dnsward.js';
import { startNsd, type Nsd } from '../helpers/nsd.js';

const ZONE = 'm4.example';

describe('M4: rebinding guard gaps, with a real upstream', () => {
  let nsd: Nsd;
  let server: Dnsward;

  before(async () => {
    nsd = await startNsd(ZONE, [
      'svc HTTPS 1 . alpn=h2 ipv4hint=127.0.0.1 ipv6hint=::1',
      'svc2 SVCB 1 . ipv4hint=169.254.169.254',
      'good HTTPS 1 . alpn=h2 ipv4hint=192.0.2.1',
      'nat64 AAAA 64:ff9b::a9fe:a9fe',
      'nat64public AAAA 64:ff9b::808:808',
      'compat AAAA ::a9fe:a9fe',
      'sixtofour AAAA 2002:a9fe:a9fe::1',
      'srv SRV 0 0 443 meta',
      'meta A 169.254.169.254',
      'mcast A 224.0.0.1',
      'bcast A 255.255.255.255',
      'bench A 198.18.0.1',
      'reserved A 240.0.0.1',
      'sitelocal AAAA fec0::1',
    ]);
    server = await startDnsward(
      {
        upstreams: { default: [`127.0.0.1:${nsd.port}`] },
        identity: { defaultGroup: 'agents' },
        groups: [
          {
            name: 'agents',
            tier: 3,
            allowlists: ['allow.yaml'],
            qtypes: ['A', 'AAAA', 'SRV', 'HTTPS', 'SVCB'],
          },
        ],
      },
      {
        'allow.yaml': `entries:\n  - domain: "*.${ZONE}"\n    justification: "M4 regression"\n    owner: qa\n    added: 2026-01-01\n`,
      },
    );
  });
  after(async () => {
    await server.stop();
    await nsd.stop();
  });

  it('the upstream really serves the internal forms (asked directly)', async () => {
    const direct = await dig(nsd.port, `svc.${ZONE}`, { type: 'HTTPS' });
    assert.match(direct.answers.join('\n'), /ipv4hint=127\.0\.0\.1/);
    assert.match((await dig(nsd.port, `srv.${ZONE}`, { type: 'SRV' })).raw, /169\.254\.169\.254/);
  });

  for (const [label, type] of [
    ['svc', 'HTTPS'],
    ['svc2', 'SVCB'],
    ['nat64', 'AAAA'],
    ['compat', 'AAAA'],
    ['sixtofour', 'AAAA'],
    ['sitelocal', 'AAAA'],
    ['mcast', 'A'],
    ['bcast', 'A'],
    ['bench', 'A'],
    ['reserved', 'A'],
  ] as const) {
    it(`${label} ${type}: answered NOERROR with nothing internal left`, async () => {
      const result = await dig(server.port, `${label}.${ZONE}`, { type });
      assert.equal(result.status, 'NOERROR');
      assert.deepEqual(result.answers, []);
    });
  }

  it('srv SRV: the SRV record stays, the internal additional-section address is gone', async () => {
    const result = await dig(server.port, `srv.${ZONE}`, { type: 'SRV' });
    assert.equal(result.answers.length, 1);
    assert.doesNotMatch(result.raw, /169\.254\.169\.254/);
  });

  it('public forms are kept: an HTTPS record with public hints, NAT64 of a public address', async () => {
    assert.match(
      (await dig(server.port, `good.${ZONE}`, { type: 'HTTPS' })).answers.join('\n'),
      /ipv4hint=192\.0\.2\.1/,
    );
    assert.deepEqual((await dig(server.port, `nat64public.${ZONE}`, { type: 'AAAA' })).answers, [
      `nat64public.${ZONE}. 60 IN AAAA 64:ff9b::808:808`,
    ]);
  });
});
