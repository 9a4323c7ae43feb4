// Volume rules per (agent, base domain): unique-subdomains, encoded-volume, txt-null-burst, nxdomain-ratio,
// plus lexical-anomaly and rate-spike. Tunnels of several shapes alert; benign look-alikes do not.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { QueryEvent } from '../../../src/model/query-event.js';
import { ALNUM, BASE32, event, HEX, lookups, ruleSeverity, run, T0, tunnel } from './scenario.js';

type Case = [description: string, events: () => QueryEvent[], expected: string];

function table(rule: string, cases: readonly Case[]): void {
  describe(rule, () => {
    for (const [description, events, expected] of cases) {
      it(`${description} -> ${expected}`, () => assert.equal(ruleSeverity(run(events()), rule), expected));
    }
  });
}

const zone = 'x.tunnel-example.org';

table('unique-subdomains', [
  ['base32 tunnel, 1 q/s for 40 s', () => tunnel({ zone, count: 40, intervalMs: 1000 }), 'medium'],
  ['base32 tunnel, 1 q/s for 2 min', () => tunnel({ zone, count: 120, intervalMs: 1000 }), 'high'],
  [
    'short random polls (dns2tcp-like), 2 q/s',
    () => tunnel({ zone, count: 130, intervalMs: 500, labelLength: 10, alphabet: ALNUM }),
    'high',
  ],
  ['20 new names a minute', () => tunnel({ zone, count: 40, intervalMs: 3000 }), 'none'],
  [
    'the same name 500 times',
    () => Array.from({ length: 500 }, (_, i) => event({ ts: T0 + i * 100, qname: 'api.example.org' })),
    'none',
  ],
  [
    '40 distinct CDN edge names in a minute (A+AAAA)',
    () =>
      lookups(
        Array.from({ length: 40 }, (_, i) => `e${String(1000 + i * 37)}.dscb.akamaiedge.net`),
        1400,
      ),
    'low',
  ],
  [
    'crawler: 150 distinct word-like subdomains of one site in 5 min',
    () =>
      lookups(
        Array.from(
          { length: 150 },
          (_, i) =>
            `${['blog', 'news', 'shop', 'docs', 'help'][i % 5] ?? 'x'}-${['alpha', 'bravo', 'delta', 'kilo', 'lima', 'echo'][i % 6] ?? 'y'}${String(i)}.example.org`,
        ),
        2000,
      ),
    'low',
  ],
]);

table('encoded-volume', [
  [
    'hex exfiltration, 2 x 60 chars/query, 1 q/s for 10 s',
    () => tunnel({ zone, count: 10, intervalMs: 1000, alphabet: HEX, labels: 2, labelLength: 60 }),
    'medium',
  ],
  [
    'hex exfiltration, 2 x 60 chars/query, 1 q/s for 80 s',
    () => tunnel({ zone, count: 80, intervalMs: 1000, alphabet: HEX, labels: 2, labelLength: 60 }),
    'high',
  ],
  [
    'slow exfiltration: 3 x 52 base32 every 30 s for 45 min',
    () => tunnel({ zone, count: 90, intervalMs: 30_000, labels: 3, labelLength: 52 }),
    'medium',
  ],
  [
    'forwarded bulk exfiltration past the critical budget',
    () => tunnel({ zone, count: 700, intervalMs: 200, labels: 3, labelLength: 60 }),
    'critical',
  ],
  [
    'the same bulk exfiltration blocked by policy stays high',
    () =>
      tunnel({
        zone,
        count: 700,
        intervalMs: 200,
        labels: 3,
        labelLength: 60,
        base: { decision: 'deny', rcode: 'NXDOMAIN', answeredBy: 'policy' },
      }),
    'high',
  ],
  [
    'DNSBL-shaped IP lookups on an unlisted list, 5/s (4 bytes each, word-free: low at most)',
    () =>
      Array.from({ length: 600 }, (_, i) =>
        event({
          ts: T0 + i * 200,
          qname: `${String(i % 250)}.${String((i * 7) % 250)}.${String((i * 13) % 250)}.10.bl.example-dnsbl.org`,
          rcode: 'NXDOMAIN',
        }),
      ),
    'low',
  ],
]);

table('txt-null-burst', [
  ['TXT tunnel 1 q/s', () => tunnel({ zone, count: 40, intervalMs: 1000, qtype: 'TXT' }), 'medium'],
  [
    'CNAME tunnel 2 q/s for 1 min',
    () => tunnel({ zone, count: 120, intervalMs: 500, qtype: 'CNAME' }),
    'high',
  ],
  ['A-record tunnel', () => tunnel({ zone, count: 120, intervalMs: 500, qtype: 'A' }), 'none'],
  [
    'mail relay TXT lookups (SPF/DKIM/DMARC) across 300 domains',
    () =>
      Array.from({ length: 300 }, (_, i) =>
        event({
          ts: T0 + i * 200,
          qname: `${['_dmarc', 'selector1._domainkey', '_mta-sts'][i % 3] ?? '_dmarc'}.domain${String(i)}.example`,
          qtype: 'TXT',
        }),
      ),
    'none',
  ],
  [
    'ACME DNS-01 checks for 50 names under one zone',
    () =>
      Array.from({ length: 50 }, (_, i) =>
        event({ ts: T0 + i * 500, qname: `_acme-challenge.host${String(i)}.example.org`, qtype: 'TXT' }),
      ),
    'none',
  ],
]);

table('nxdomain-ratio', [
  [
    'encoded names answered NXDOMAIN upstream',
    () => tunnel({ zone, count: 60, intervalMs: 1000, qtype: 'A', base: { rcode: 'NXDOMAIN' } }),
    'medium',
  ],
  [
    'the same, but denied by policy (our own NXDOMAIN)',
    () =>
      tunnel({
        zone,
        count: 60,
        intervalMs: 1000,
        qtype: 'A',
        base: { rcode: 'NXDOMAIN', decision: 'deny', answeredBy: 'policy' },
      }),
    'none',
  ],
  [
    'typo burst: word-like names NXDOMAIN',
    () =>
      lookups(
        Array.from(
          { length: 80 },
          (_, i) => `${['wwww', 'mial', 'ftpp', 'smpt'][i % 4] ?? 'x'}${String(i)}.example.org`,
        ),
        1000,
        { base: { rcode: 'NXDOMAIN' } },
      ),
    'none',
  ],
]);

table('lexical-anomaly', [
  [
    'one long base32 name',
    () => tunnel({ zone, count: 1, intervalMs: 1000, labels: 2, labelLength: 50 }),
    'low',
  ],
  [
    'one hex hash under a storage service',
    () => [event({ qname: 'cf25ec84d8dbc74254770f58904dba41.r2.example.org' })],
    'low',
  ],
  ['CDN edge name', () => [event({ qname: 'r4---sn-ab5l6nzr.googlevideo.com' })], 'none'],
  [
    'ordinary names',
    () => lookups(['www.example.org', 'api.example.org', 'login.example.org'], 1000),
    'none',
  ],
]);

describe('rate-spike', () => {
  const steady = (perMinute: number, minutes: number, start = T0): QueryEvent[] =>
    Array.from({ length: perMinute * minutes }, (_, i) =>
      event({ ts: start + Math.floor((i * 60_000) / perMinute), qname: 'api.example.org' }),
    );
  const cases: [string, () => QueryEvent[], string][] = [
    [
      '10/min for 15 min, then 1000/min',
      () => [...steady(10, 15), ...steady(1000, 1, T0 + 15 * 60_000)],
      'low',
    ],
    [
      '10/min for 15 min, then 4000/min',
      () => [...steady(10, 15), ...steady(4000, 1, T0 + 15 * 60_000)],
      'medium',
    ],
    ['steady 2000/min from the start', () => steady(2000, 15), 'none'],
    [
      'a spike before the baseline is warm',
      () => [...steady(10, 3), ...steady(4000, 1, T0 + 3 * 60_000)],
      'none',
    ],
  ];
  for (const [description, events, expected] of cases) {
    it(`${description} -> ${expected}`, () => {
      const alerts = run(events());
      assert.equal(ruleSeverity(alerts, 'rate-spike'), expected);
      for (const a of alerts.filter((x) => x.rule === 'rate-spike')) assert.equal(a.baseDomain, '*');
    });
  }
});

describe('rate-limited', () => {
  const limited = (count: number, spanMs: number): QueryEvent[] =>
    Array.from({ length: count }, (_, i) =>
      event({
        ts: T0 + Math.floor((i * spanMs) / count),
        qname: `q${i}.example.org`,
        decision: 'rate-limited',
        reason: 'rate-limited',
      }),
    );
  const cases: [string, () => QueryEvent[], string][] = [
    ['a 5 s burst of 30 refused queries', () => limited(30, 5000), 'none'],
    ['100 refused in a minute', () => limited(100, 50_000), 'medium'],
    ['1000 refused in a minute', () => limited(1000, 55_000), 'high'],
    [
      '1000 answered queries, none refused',
      () => limited(1000, 55_000).map((e) => ({ ...e, decision: 'allow' as const })),
      'none',
    ],
  ];
  for (const [description, events, expected] of cases) {
    it(`${description} -> ${expected}`, () =>
      assert.equal(ruleSeverity(run(events()), 'rate-limited'), expected));
  }
});

describe('a tunnel inside benign background', () => {
  it('alerts on the tunnel domain only', () => {
    const background = lookups(['api.example.org', 'pypi.example.net', 'files.example.net'], 700, {
      rounds: 60,
    });
    const alerts = run([
      ...background,
      ...tunnel({ zone, count: 150, intervalMs: 800, start: T0 + 20_000, alphabet: BASE32 }),
    ]);
    for (const a of alerts) assert.equal(a.baseDomain, 'tunnel-example.org', `${a.rule} on ${a.baseDomain}`);
    assert.equal(ruleSeverity(alerts, 'unique-subdomains'), 'high');
  });
});
