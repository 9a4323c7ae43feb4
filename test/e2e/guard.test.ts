// Guard end to end: rate limits, exfiltration budgets, rebinding guard, CNAME policy, answer cap, strict names.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dig } from '../helpers/dig.js';
import { startDnsward, type Dnsward } from '../helpers/dnsward.js';
import { udpQuery } from '../helpers/udp-query.js';
import { startUnbound, type Unbound } from '../helpers/unbound.js';

const ZONE = 'guard.example';
const entry = (domain: string): string =>
  `  - domain: "${domain}"\n    justification: "guard test"\n    owner: qa\n    added: 2026-01-01\n`;

describe('guard', () => {
  let unbound: Unbound;
  let server: Dnsward;

  before(async () => {
    unbound = await startUnbound(
      ZONE,
      [
        `t.${ZONE}. 60 IN A 192.0.2.50`,
        `www.${ZONE}. 60 IN A 192.0.2.1`,
        `rebind.${ZONE}. 60 IN A 127.0.0.1`,
        `rebind.${ZONE}. 60 IN A 10.1.2.3`,
        `rebind.${ZONE}. 60 IN A 192.0.2.2`,
        `rebind6.${ZONE}. 60 IN AAAA fd00::1`,
        `intranet.${ZONE}. 60 IN A 10.9.9.9`,
        `alias.${ZONE}. 60 IN CNAME target.elsewhere.example.`,
        `big.${ZONE}. 60 IN TXT "${'y'.repeat(200)}"`,
        `big.${ZONE}. 60 IN TXT "${'z'.repeat(200)}"`,
        `big.${ZONE}. 60 IN TXT "${'w'.repeat(200)}"`,
      ],
      [`local-zone: "t.${ZONE}." redirect`],
    );
    const allow = `entries:\n${entry(`*.t.${ZONE}`)}${entry(`www.${ZONE}`)}${entry(`rebind.${ZONE}`)}${entry(`rebind6.${ZONE}`)}${entry(`intranet.${ZONE}`)}${entry(`alias.${ZONE}`)}${entry(`big.${ZONE}`)}${entry(`*.weird.${ZONE}`)}`;
    server = await startDnsward(
      {
        upstreams: { default: [`127.0.0.1:${unbound.port}`] },
        guard: { rebinding: { allowNames: [`intranet.${ZONE}`] } },
        identity: { defaultGroup: 'free' },
        groups: [
          {
            name: 'limited',
            tier: 3,
            clients: ['127.0.0.2/32'],
            allowlists: ['allow.yaml'],
            rateLimit: { qps: 2, burst: 5 },
          },
          {
            name: 'budgeted',
            tier: 3,
            clients: ['127.0.0.3/32'],
            allowlists: ['allow.yaml'],
            budget: { window: '10m', uniqueSubdomains: 10, bytes: 100000 },
          },
          {
            name: 'strict',
            tier: 3,
            clients: ['127.0.0.4/32'],
            allowlists: ['allow.yaml'],
            cnames: 'require-allowed',
            maxAnswerBytes: 512,
            strictNames: true,
            qtypes: ['A', 'AAAA', 'TXT', 'CNAME'],
          },
          { name: 'free', tier: 3, allowlists: ['allow.yaml'], qtypes: ['A', 'AAAA', 'TXT', 'CNAME'] },
        ],
      },
      { 'allow.yaml': allow },
    );
  });

  after(async () => {
    await server.stop();
    await unbound.stop();
  });

  it('limits a flooding agent while another agent is unaffected', async () => {
    const flood = await Promise.all(
      Array.from({ length: 40 }, (_, i) => udpQuery(server.port, `f${i}.t.${ZONE}`, { source: '127.0.0.2' })),
    );
    const refused = flood.filter((reply) => reply?.rcode === 'REFUSED').length;
    const answered = flood.filter((reply) => reply?.rcode === 'NOERROR').length;
    assert.ok(answered >= 5 && answered <= 8, `answered ${answered}`);
    assert.equal(refused + answered, 40);
    const other = await Promise.all(
      Array.from({ length: 40 }, (_, i) => udpQuery(server.port, `o${i}.t.${ZONE}`, { source: '127.0.0.5' })),
    );
    assert.equal(other.filter((reply) => reply?.rcode === 'NOERROR').length, 40);
  });

  it('stops new names under an allowlisted wildcard once the budget is spent, and never forwards them', async () => {
    const results: string[] = [];
    for (let i = 0; i < 15; i++) {
      const reply = await udpQuery(server.port, `chunk${i}.t.${ZONE}`, { source: '127.0.0.3' });
      results.push(reply?.rcode ?? 'TIMEOUT');
    }
    assert.deepEqual(results.slice(0, 10), Array(10).fill('NOERROR'));
    assert.deepEqual(results.slice(10), Array(5).fill('NXDOMAIN'));
    // a name seen within budget keeps resolving
    assert.equal(
      (await udpQuery(server.port, `chunk3.t.${ZONE}`, { source: '127.0.0.3' }))?.rcode,
      'NOERROR',
    );
    const seen = unbound.queriesSeen();
    assert.ok(!seen.includes(`chunk12.t.${ZONE}`), 'a name past the budget reached the upstream');
  });

  it('strips private and loopback addresses from public answers, unless the name is exempt', async () => {
    const v4 = await dig(server.port, `rebind.${ZONE}`);
    assert.deepEqual(v4.answers, [`rebind.${ZONE}. 60 IN A 192.0.2.2`]);
    const v6 = await dig(server.port, `rebind6.${ZONE}`, { type: 'AAAA' });
    assert.equal(v6.status, 'NOERROR');
    assert.equal(v6.answers.length, 0);
    assert.deepEqual((await dig(server.port, `intranet.${ZONE}`)).answers, [
      `intranet.${ZONE}. 60 IN A 10.9.9.9`,
    ]);
  });

  it('requires CNAME targets to be allowed where the group says so', async () => {
    // L3: the alias exists; the denial is NODATA with our SOA, not NXDOMAIN
    const denied = await dig(server.port, `alias.${ZONE}`, { extra: ['-b', '127.0.0.4'] });
    assert.equal(denied.status, 'NOERROR');
    assert.equal(denied.answers.length, 0);
    assert.equal(denied.authority.length, 1);
    const free = await dig(server.port, `alias.${ZONE}`);
    assert.ok(
      free.answers.some((rr) => rr.includes('CNAME target.elsewhere.example.')),
      free.raw,
    );
  });

  it('caps answer size and rejects names that are not hostnames for strict groups', async () => {
    assert.equal(
      (await dig(server.port, `big.${ZONE}`, { type: 'TXT', extra: ['-b', '127.0.0.4'] })).status,
      'SERVFAIL',
    );
    assert.equal((await dig(server.port, `big.${ZONE}`, { type: 'TXT' })).answers.length, 3);
    assert.equal(
      (await dig(server.port, `a--b-.weird.${ZONE}`, { extra: ['-b', '127.0.0.4'] })).status,
      'NXDOMAIN',
    );
  });
});
