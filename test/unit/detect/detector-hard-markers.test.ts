// Per-query hard markers: tier1-query, doh-bypass, null-qtype, rare-qtype, non-ldh-label, tunnel-tool-marker,
// fake-tld-long-label. Each fires on the first packet; benign look-alikes stay silent.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { QueryEvent } from '../../../src/model/query-event.js';
import { BASE32, event, randomString, ruleSeverity, run, T0, tunnel } from './scenario.js';
import { seededRandom } from '../../helpers/seeded-random.js';

type Case = [description: string, events: QueryEvent[], expected: string];

function table(rule: string, cases: readonly Case[]): void {
  describe(rule, () => {
    for (const [description, events, expected] of cases) {
      it(`${description} -> ${expected}`, () => assert.equal(ruleSeverity(run(events), rule), expected));
    }
  });
}

table('tier1-query', [
  ['tier-1 agent, forwarded', [event({ tier: 1 })], 'critical'],
  [
    'tier-1 agent, blocked',
    [event({ tier: 1, decision: 'deny', rcode: 'NXDOMAIN', answeredBy: 'policy' })],
    'high',
  ],
  ['tier-1 agent, rate-limited', [event({ tier: 1, decision: 'rate-limited', rcode: 'REFUSED' })], 'high'],
  ['tier-3 agent', [event({ tier: 3 })], 'none'],
]);

table('doh-bypass', [
  ['dns.google forwarded', [event({ qname: 'dns.google' })], 'high'],
  ['cloudflare-dns.com blocked', [event({ qname: 'cloudflare-dns.com', decision: 'deny' })], 'medium'],
  ['per-user NextDNS endpoint', [event({ qname: 'abc123.dns.nextdns.io' })], 'high'],
  ['google.com is not a resolver', [event({ qname: 'www.google.com' })], 'none'],
  ['Firefox canary domain', [event({ qname: 'use-application-dns.net' })], 'none'],
]);

table('null-qtype', [
  ['NULL query', [event({ qname: 'paaa.t.example.org', qtype: 'NULL' })], 'high'],
  ['RFC 3597 TYPE10', [event({ qname: 'paaa.t.example.org', qtype: 'TYPE10' })], 'high'],
  ['TXT query', [event({ qname: '_dmarc.example.org', qtype: 'TXT' })], 'none'],
]);

table('rare-qtype', [
  ['KEY query', [event({ qname: 'gq5vpm9tba.t.example.org', qtype: 'KEY' })], 'medium'],
  [
    'private-use TYPE65399 (iodine PRIVATE)',
    [event({ qname: 'paaa.t.example.org', qtype: 'TYPE65399' })],
    'medium',
  ],
  [
    'KEY burst escalates',
    tunnel({ zone: 't.example.org', count: 12, intervalMs: 2000, qtype: 'KEY', labelLength: 10 }),
    'high',
  ],
  ['HTTPS as TYPE65', [event({ qtype: 'TYPE65' })], 'none'],
  ['HTTPS', [event({ qtype: 'HTTPS' })], 'none'],
  [
    'SVCB, CAA, TLSA, DS, DNSKEY, SRV, NAPTR, PTR, SOA, NS, ANY',
    ['SVCB', 'CAA', 'TLSA', 'DS', 'DNSKEY', 'SRV', 'NAPTR', 'PTR', 'SOA', 'NS', 'ANY'].map((qtype, i) =>
      event({ qtype, ts: T0 + i }),
    ),
    'none',
  ],
]);

table('non-ldh-label', [
  [
    'raw 8-bit bytes (iodine Base128/raw)',
    [event({ qname: 'zi03aa-j\\228germeister\\200\\201\\202.t.example.org', qtype: 'A' })],
    'high',
  ],
  ['one "+" in base64 (dns2tcp)', [event({ qname: 'gq5vdg+jba.t.example.org' })], 'medium'],
  [
    'repeated base64 "+/" queries escalate',
    Array.from({ length: 6 }, (_, i) =>
      event({ ts: T0 + i * 1000, qname: `gq5v${String(i)}g+j/a.t.example.org` }),
    ),
    'high',
  ],
  [
    'DNSteal-style "*" and "=" in a file-name "domain"',
    [event({ qname: 'h4sicn03*2qaa3rlc3qudhh0aa-.4s2fgaaaa==-.test.txt' })],
    'medium',
  ],
  ['literal wildcard label', [event({ qname: '*.example.org' })], 'none'],
  ['underscore service labels', [event({ qname: '_sip._tcp.example.org', qtype: 'SRV' })], 'none'],
  [
    'mDNS instance name with a space',
    [event({ qname: 'office\\032printer._ipp._tcp.local', qtype: 'SRV' })],
    'none',
  ],
]);

table('tunnel-tool-marker', [
  [
    'dnscat2 prefix',
    [event({ qname: 'dnscat.546b03f50000000000a6023ed4df18.example.org', qtype: 'TXT' })],
    'high',
  ],
  ['Cobalt Strike stager', [event({ qname: 'aaa.stage.12345678.c2.example.org', qtype: 'TXT' })], 'high'],
  [
    'Cobalt Strike default stage id',
    [event({ qname: 'baa.stage.123456.c2.example.org', qtype: 'TXT' })],
    'high',
  ],
  ['"stage" as a word', [event({ qname: 'stage.example.org' })], 'none'],
  ['"post" as a word', [event({ qname: 'post.example.org' })], 'none'],
  ['"dnscat" inside a label', [event({ qname: 'mydnscat.example.org' })], 'none'],
]);

const rand = seededRandom(9);
table('fake-tld-long-label', [
  [
    'unknown TLD, 32-char label',
    [event({ qname: `${randomString(rand, BASE32, 32)}.pirate.sea` })],
    'medium',
  ],
  [
    'hex "TLD" (dnscat2 direct mode)',
    [event({ qname: 'dnscat.546b03f50000000000a6023ed4df184d6ac5c2628b47714fdee584fed739' })],
    'medium',
  ],
  ['unknown TLD, short label', [event({ qname: 'vaaaakardli.pirate.sea' })], 'none'],
  ['Chrome random single-label probe', [event({ qname: 'lbjamwptxz', rcode: 'NXDOMAIN' })], 'none'],
  [
    'mDNS UUID under .local',
    [event({ qname: '3f2b8c1e-4d5a-4b6c-9e8f-1a2b3c4d5e6f._googlezone._tcp.local' })],
    'none',
  ],
  [
    'long label under a real TLD',
    [event({ qname: `${randomString(rand, BASE32, 32)}.example.org` })],
    'none',
  ],
  [
    'search expansion under a private pseudo-TLD',
    [event({ qname: 'thisisaverylonglabelforsomeservice.example.com.mycorp' })],
    'none',
  ],
]);
