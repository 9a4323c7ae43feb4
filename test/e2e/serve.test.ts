// End to end: the real `dnsward serve` on loopback, real dig, a real unbound upstream serving a test zone.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { dig } from '../helpers/dig.js';
import { REPO_ROOT, startDnsward, TEST_UDP_ENGINES, type Dnsward } from '../helpers/dnsward.js';
import { startUnbound, type Unbound } from '../helpers/unbound.js';

const run = promisify(execFile);

const ZONE = 'test.example';
const BIG_TXT = Array.from(
  { length: 40 },
  (_, i) => `big.${ZONE}. 300 IN TXT "${String(i).padStart(2, '0')}-${'x'.repeat(60)}"`,
);
const LOCAL_DATA = [
  `api.${ZONE}. 300 IN A 192.0.2.10`,
  `api.${ZONE}. 300 IN AAAA 2001:db8::10`,
  `www.cdn.${ZONE}. 300 IN A 192.0.2.20`,
  `deep.www.cdn.${ZONE}. 300 IN A 192.0.2.21`,
  `secret.${ZONE}. 300 IN A 192.0.2.66`,
  `audit-only.${ZONE}. 300 IN A 192.0.2.30`,
  ...BIG_TXT,
];

const entry = (domain: string): string =>
  `  - domain: "${domain}"\n    justification: "e2e test"\n    owner: qa\n    added: 2026-01-01\n`;

for (const engine of TEST_UDP_ENGINES) {
  describe(`dnsward serve (real unbound upstream, real dig; UDP engine ${engine})`, () => {
    let unbound: Unbound;
    let server: Dnsward;

    before(async () => {
      unbound = await startUnbound(ZONE, LOCAL_DATA);
      server = await startDnsward(
        {
          upstreams: { default: [`127.0.0.1:${unbound.port}`], timeoutMs: 1000 },
          identity: { defaultGroup: 'strangers' },
          groups: [
            {
              name: 'agents',
              tier: 3,
              clients: ['127.0.0.0/8'],
              allowlists: ['agents.yaml'],
              qtypes: ['A', 'AAAA', 'TXT'],
            },
            {
              name: 'refusers',
              tier: 2,
              clients: [{ cidr: '127.0.0.2/32', agent: 'summariser-1' }],
              allowlists: ['refusers.yaml'],
              denyRcode: 'REFUSED',
            },
            {
              name: 'auditors',
              tier: 3,
              clients: ['127.0.0.3/32'],
              allowlists: ['refusers.yaml'],
              mode: 'audit',
            },
          ],
        },
        {
          'agents.yaml': `entries:\n${entry(`api.${ZONE}`)}${entry(`*.cdn.${ZONE}`)}${entry(`big.${ZONE}`)}`,
          'refusers.yaml': `entries:\n${entry(`api.${ZONE}`)}`,
        },
        { udpEngine: engine },
      );
    });

    after(async () => {
      await server.stop();
      await unbound.stop();
    });

    it('answers an allowlisted name with the upstream answer, over UDP and TCP', async () => {
      for (const tcp of [false, true]) {
        const result = await dig(server.port, `api.${ZONE}`, { tcp });
        assert.equal(result.status, 'NOERROR');
        assert.deepEqual(result.answers, [`api.${ZONE}. 300 IN A 192.0.2.10`]);
        assert.ok(result.flags.includes('ra') && !result.flags.includes('aa'), result.flags.join(' '));
      }
    });

    it('matches wildcards below the suffix only, case-insensitively', async () => {
      assert.equal((await dig(server.port, `WWW.Cdn.${ZONE}`)).status, 'NOERROR');
      assert.equal((await dig(server.port, `deep.www.cdn.${ZONE}`)).answers.length, 1);
      assert.equal((await dig(server.port, `cdn.${ZONE}`)).status, 'NXDOMAIN');
    });

    it('denies a name not on the allowlist with NXDOMAIN + SOA and never forwards it', async () => {
      const result = await dig(server.port, `secret.${ZONE}`);
      assert.equal(result.status, 'NXDOMAIN');
      assert.equal(result.answers.length, 0);
      assert.match(result.authority[0] ?? '', /SOA dnsward\.invalid\./);
      const tcp = await dig(server.port, `c2VjcmV0.x.${ZONE}`, { tcp: true });
      assert.equal(tcp.status, 'NXDOMAIN');
      const seen = unbound.queriesSeen();
      assert.ok(!seen.includes(`secret.${ZONE}`), `upstream saw a denied name: ${seen.join(', ')}`);
      assert.ok(!seen.some((name) => name.startsWith('c2vjcmv0')), 'upstream saw a denied name');
    });

    it('denies qtypes outside the group set and REFUSEs for a group configured so', async () => {
      // L3: the name exists, only its type is denied: NODATA with our SOA, not NXDOMAIN
      const nodata = await dig(server.port, `api.${ZONE}`, { type: 'NULL' });
      assert.equal(nodata.status, 'NOERROR');
      assert.equal(nodata.answers.length, 0);
      assert.equal(nodata.authority.length, 1);
      const refused = await dig(server.port, `secret.${ZONE}`, { extra: ['-b', '127.0.0.2'] });
      assert.equal(refused.status, 'REFUSED');
      assert.equal(refused.authority.length, 0);
      // tier-2 default qtypes exclude TXT even for an allowlisted name
      assert.equal(
        (await dig(server.port, `api.${ZONE}`, { type: 'TXT', extra: ['-b', '127.0.0.2'] })).status,
        'REFUSED',
      );
    });

    it('audit mode forwards what enforce would deny', async () => {
      const result = await dig(server.port, `audit-only.${ZONE}`, { extra: ['-b', '127.0.0.3'] });
      assert.equal(result.status, 'NOERROR');
      assert.deepEqual(result.answers, [`audit-only.${ZONE}. 300 IN A 192.0.2.30`]);
      assert.ok(unbound.queriesSeen().includes(`audit-only.${ZONE}`));
    });

    it('retries over TCP when an answer is truncated, upstream and client side', async () => {
      const result = await dig(server.port, `big.${ZONE}`, { type: 'TXT' });
      assert.equal(result.status, 'NOERROR');
      // 40 x 64-byte strings do not fit 1232 bytes: the complete set came over TCP from unbound,
      // and dig was told TC=1 and retried over TCP to dnsward
      assert.equal(result.answers.length, 40);
      assert.match(result.raw, /Truncated, retrying in TCP mode/);
    });

    it('serves repeated questions from the cache with decremented TTLs', async () => {
      await dig(server.port, `api.${ZONE}`, { type: 'AAAA' });
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const again = await dig(server.port, `api.${ZONE}`, { type: 'AAAA' });
      const ttl = Number(again.answers[0]?.split(' ')[1]);
      assert.ok(ttl < 300 && ttl >= 290, `ttl ${ttl}`);
      const seen = unbound.queriesSeen().filter((name) => name === `api.${ZONE}`);
      assert.ok(seen.length >= 1);
    });

    it('logs every query exactly once, attributed to its agent', async () => {
      const before = await queryLog(server);
      const names = Array.from({ length: 20 }, (_, i) => `n${i}.log.${ZONE}`);
      for (const [i, name] of names.entries()) {
        await dig(server.port, name, { tcp: i % 2 === 0, extra: i % 3 === 0 ? ['-b', '127.0.0.2'] : [] });
      }
      await dig(server.port, `api.${ZONE}`);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const rows = (await queryLog(server)).slice(0, (await queryLog(server)).length - before.length);
      const logged = rows.filter((row) => row.qname.endsWith(`.log.${ZONE}`));
      assert.equal(logged.length, names.length);
      assert.deepEqual(new Set(logged.map((row) => row.qname)), new Set(names));
      for (const row of logged) {
        const index = Number(/^n(\d+)/.exec(row.qname)?.[1]);
        assert.equal(row.transport, index % 2 === 0 ? 'tcp' : 'udp');
        assert.equal(row.agentId, index % 3 === 0 ? 'summariser-1' : '127.0.0.1');
        assert.equal(row.group, index % 3 === 0 ? 'refusers' : 'agents');
        assert.equal(row.decision, 'deny');
        assert.equal(row.reason, 'not-allowlisted');
        assert.ok(row.latencyUs >= 0 && row.reqBytes > 0 && row.respBytes > 0);
      }
      const allowed = rows.find((row) => row.qname === `api.${ZONE}` && row.qtype === 'A');
      assert.ok(allowed, 'allowed query not logged');
      assert.equal(allowed.decision, 'allow');
      assert.match(allowed.ruleId, /agents\.yaml:\d+ api\.test\.example/);
    });
  });
}

interface Row {
  qname: string;
  qtype: string;
  transport: string;
  agentId: string;
  group: string;
  decision: string;
  reason: string;
  ruleId: string;
  latencyUs: number;
  reqBytes: number;
  respBytes: number;
}

async function queryLog(server: Dnsward): Promise<Row[]> {
  const { stdout } = await run(
    process.execPath,
    [
      '--import',
      'tsx',
      `${REPO_ROOT}/src/main.ts`,
      'queries',
      '--db',
      server.dbPath,
      '--json',
      '--limit',
      '100000',
    ],
    { cwd: REPO_ROOT },
  );
  return JSON.parse(stdout) as Row[];
}
