// Benign look-alikes from the issue, at volumes that would trip naive detectors: nothing above low.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { QueryEvent } from '../../../src/model/query-event.js';
import { aboveLow, event, HEX, lookups, randomString, run, T0 } from './scenario.js';
import { seededRandom } from '../../helpers/seeded-random.js';

const EXTERNAL = Array.from(
  { length: 120 },
  (_, i) => `${['api', 'www', 'cdn', 'login'][i % 4] ?? 'www'}.site${String(i)}.example`,
);

function ptr4(i: number): string {
  return `${String(i % 256)}.${String((i >> 8) % 256)}.51.198.in-addr.arpa`;
}

function ptr6(rand: () => number): string {
  return `${randomString(rand, HEX, 20).split('').join('.')}.8.b.d.0.1.0.0.2.ip6.arpa`;
}

const scenarios: [string, () => QueryEvent[]][] = [
  [
    'Kubernetes ndots:5 search expansion of 120 external names (NXDOMAIN bursts)',
    () =>
      EXTERNAL.flatMap((name, i) => {
        const ts = T0 + i * 500;
        return [
          ...['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'ec2.internal'].map(
            (search, k) => event({ ts: ts + k, qname: `${name}.${search}`, rcode: 'NXDOMAIN', answers: 0 }),
          ),
          event({ ts: ts + 10, qname: name }),
        ];
      }),
  ],
  [
    'Chrome random single-label probes after every network change',
    () => {
      const rand = seededRandom(1);
      return Array.from({ length: 60 }, (_, i) =>
        event({
          ts: T0 + i * 1000,
          qname: randomString(rand, 'abcdefghijklmnopqrstuvwxyz', 7 + (i % 9)),
          rcode: 'NXDOMAIN',
        }),
      );
    },
  ],
  [
    'reverse DNS: 600 PTR lookups a minute, IPv4 and 72-char IPv6',
    () => {
      const rand = seededRandom(2);
      return Array.from({ length: 600 }, (_, i) =>
        event({ ts: T0 + i * 100, qname: i % 2 === 0 ? ptr4(i) : ptr6(rand), qtype: 'PTR' }),
      );
    },
  ],
  [
    'mail relay: Spamhaus ZEN/DBL, Sophos and McAfee reputation, 10 lookups/s for 3 min',
    () => {
      const rand = seededRandom(3);
      return Array.from({ length: 1800 }, (_, i) => {
        const ts = T0 + i * 100;
        switch (i % 4) {
          case 0:
            return event({
              ts,
              qname: `${String(i % 251)}.${String(i % 13)}.113.203.zen.spamhaus.org`,
              rcode: 'NXDOMAIN',
            });
          case 1:
            return event({ ts, qname: `shop${String(i)}.example.dbl.spamhaus.org`, rcode: 'NXDOMAIN' });
          case 2:
            return event({
              ts,
              qname: `${randomString(rand, HEX, 32)}.${randomString(rand, HEX, 8)}.0.sxl.sophosxl.net`,
            });
          default:
            return event({ ts, qname: `${randomString(rand, HEX, 40)}.avqs.mcafee.com`, qtype: 'TXT' });
        }
      });
    },
  ],
  [
    'SPF, DKIM, DMARC, MTA-STS and ACME TXT lookups for 400 domains',
    () =>
      Array.from({ length: 400 }, (_, i) =>
        event({
          ts: T0 + i * 150,
          qname: `${['_dmarc', 's1._domainkey', '_mta-sts', '_acme-challenge', '_spf'][i % 5] ?? '_dmarc'}.mail${String(i % 80)}.example`,
          qtype: 'TXT',
        }),
      ),
  ],
  [
    'CDN and cloud names: CloudFront tenants, googlevideo, Akamai, ELB, S3 buckets',
    () => {
      const rand = seededRandom(4);
      const names = [
        ...Array.from(
          { length: 40 },
          () => `d${randomString(rand, 'abcdefghijklmnopqrstuvwxyz0123456789', 13)}.cloudfront.net`,
        ),
        ...Array.from(
          { length: 20 },
          (_, i) =>
            `r${String(1 + (i % 9))}---sn-${randomString(rand, 'abcdefghijklmnopqrstuvwxyz0123456789', 8)}.googlevideo.com`,
        ),
        ...Array.from({ length: 25 }, (_, i) => `e${String(1000 + i * 311)}.dscb.akamaiedge.net`),
        ...Array.from(
          { length: 20 },
          () => `internal-app-${randomString(rand, '0123456789', 10)}.us-east-1.elb.amazonaws.com`,
        ),
        ...Array.from(
          { length: 20 },
          () => `bucket-${randomString(rand, 'abcdefghijklmnopqrstuvwxyz0123456789', 12)}.s3.amazonaws.com`,
        ),
      ];
      return lookups(names, 700, { rounds: 2 });
    },
  ],
  [
    'QNAME-minimising resolver behind dnsward: "_." names',
    () =>
      Array.from({ length: 200 }, (_, i) =>
        event({ ts: T0 + i * 100, qname: `_.site${String(i)}.example`, qtype: 'NS' }),
      ),
  ],
  [
    'mDNS / DNS-SD browsing with UUID instance names',
    () => {
      const rand = seededRandom(5);
      return Array.from({ length: 100 }, (_, i) =>
        event({
          ts: T0 + i * 200,
          qname: `${randomString(rand, HEX, 8)}-${randomString(rand, HEX, 4)}-${randomString(rand, HEX, 12)}._googlezone._tcp.local`,
          qtype: 'SRV',
        }),
      );
    },
  ],
  [
    'a busy agent: package installs, LLM API calls and git, 30 min',
    () =>
      lookups(
        [
          'api.openai.example',
          'pypi.example.org',
          'files.pythonhosted.example',
          'github.example.com',
          'objects.githubusercontent.example',
        ],
        2000,
        {
          rounds: 180,
        },
      ),
  ],
  [
    'top-sites crawl: 3000 distinct registrable domains, some hash-like',
    () => {
      const rand = seededRandom(6);
      return Array.from({ length: 3000 }, (_, i) =>
        event({
          ts: T0 + i * 300,
          qname: i % 50 === 0 ? `${randomString(rand, HEX, 56)}.com` : `www.site${String(i)}.example`,
        }),
      );
    },
  ],
];

describe('benign traffic stays at or below low', () => {
  for (const [description, events] of scenarios) {
    it(description, () => {
      const loud = aboveLow(run(events()));
      assert.deepEqual(
        loud.map((a) => `${a.rule}/${a.severity}/${a.baseDomain}`),
        [],
      );
    });
  }
});
