import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_INTERNAL_ZONES, DEFAULT_TRUSTED_ENCODERS } from '../../../src/config/sections/detection.js';
import { INVALID_TLD_BASE, NameAnalyzer } from '../../../src/detect/name-info.js';
import { parseName } from '../../../src/detect/name.js';

const analyzer = new NameAnalyzer({
  trustedEncoders: DEFAULT_TRUSTED_ENCODERS,
  internalZones: DEFAULT_INTERNAL_ZONES,
  searchDomains: ['corp.example.com'],
});

describe('parseName', () => {
  const cases: [string, string[], number, number][] = [
    ['www.example.org', ['www', 'example', 'org'], 0, 0],
    ['a\\.b.example.org', ['a.b', 'example', 'org'], 1, 0],
    ['j\\228ger.example.org', ['j\u00e4ger', 'example', 'org'], 1, 1],
    ['sp\\032ace.example.org', ['sp ace', 'example', 'org'], 1, 1],
    ['*.example.org', ['*', 'example', 'org'], 0, 0],
    ['gq5v+jba.example.org', ['gq5v+jba', 'example', 'org'], 1, 0],
    ['_dmarc.example.org', ['_dmarc', 'example', 'org'], 0, 0],
    ['', [], 0, 0],
    ['.', [], 0, 0],
  ];
  for (const [qname, labels, nonLdh, raw] of cases) {
    it(qname || '(empty)', () => {
      const parsed = parseName(qname);
      assert.deepEqual(parsed.labels, labels);
      assert.equal(parsed.nonLdh, nonLdh);
      assert.equal(parsed.raw, raw);
    });
  }
});

describe('NameAnalyzer', () => {
  // [qname, kind, base, subdomain labels joined, shape]
  const cases: [string, string, string, string, string][] = [
    ['www.example.org', 'public', 'example.org', 'www', 'free'],
    ['example.org', 'public', 'example.org', '', 'free'],
    // private PSL suffixes keep tenants apart
    ['d1a2b3c4.cloudfront.net', 'public', 'd1a2b3c4.cloudfront.net', '', 'free'],
    ['e1234.dscb.akamaiedge.net', 'public', 'dscb.akamaiedge.net', 'e1234', 'free'],
    ['my-lb-123.elb.us-east-1.amazonaws.com', 'public', 'elb.us-east-1.amazonaws.com', 'my-lb-123', 'free'],
    ['r4---sn-ab5l6nzr.googlevideo.com', 'public', 'googlevideo.com', 'r4---sn-ab5l6nzr', 'free'],
    // reverse DNS: 72-char ip6.arpa names by design
    [
      'b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa',
      'reverse',
      '2.ip6.arpa',
      'b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0',
      'free',
    ],
    ['5.2.0.192.in-addr.arpa', 'reverse', '192.in-addr.arpa', '5.2.0', 'free'],
    // data hidden in a reverse zone is not reverse DNS
    ['deadbeefcafe.2.0.192.in-addr.arpa', 'public', '192.in-addr.arpa', 'deadbeefcafe.2.0', 'free'],
    [
      'lb._dns-sd._udp.0.2.0.192.in-addr.arpa',
      'internal',
      '192.in-addr.arpa',
      'lb._dns-sd._udp.0.2.0',
      'free',
    ],
    // Kubernetes ndots:5 search expansion and in-cluster names
    [
      'api.openai.com.default.svc.cluster.local',
      'internal',
      'cluster.local',
      'api.openai.com.default.svc',
      'free',
    ],
    ['redis.default.svc.cluster.local', 'internal', 'cluster.local', 'redis.default.svc', 'free'],
    // mDNS / DNS-SD
    [
      '3f2b8c1e-4d5a-4b6c-9e8f-1a2b3c4d5e6f._googlezone._tcp.local',
      'internal',
      '_tcp.local',
      '3f2b8c1e-4d5a-4b6c-9e8f-1a2b3c4d5e6f._googlezone',
      'free',
    ],
    // Chrome's random single-label probes
    ['cansaqcq', 'single-label', 'cansaqcq', '', 'free'],
    // search-list expansion under a configured public search domain, and under a private pseudo-TLD
    ['api.openai.com.corp.example.com', 'search-expansion', 'example.com', 'api.openai.com.corp', 'free'],
    ['www.example.com.mycorp', 'search-expansion', 'com.mycorp', 'www.example', 'free'],
    // trusted encoders (DNSBL / AV reputation)
    ['4.3.2.1.zen.spamhaus.org', 'trusted', 'spamhaus.org', '4.3.2.1.zen', 'free'],
    [
      'd41d8cd98f00b204e9800998ecf8427e.sxl.sophosxl.net',
      'trusted',
      'sophosxl.net',
      'd41d8cd98f00b204e9800998ecf8427e.sxl',
      'free',
    ],
    // unlisted DNSBL-shaped lookups keep their shape
    ['4.3.2.1.bl.example-dnsbl.org', 'public', 'example-dnsbl.org', '4.3.2.1.bl', 'ip-lookup'],
    ['example.com.dbl.example-dnsbl.org', 'public', 'example-dnsbl.org', 'example.com.dbl', 'embedded-fqdn'],
    // tunnels with no real domain
    ['pirate.sea', 'unknown-tld', 'pirate.sea', '', 'free'],
    ['vaaaakardli.pirate.sea', 'unknown-tld', 'pirate.sea', 'vaaaakardli', 'free'],
    [
      'dnscat.546b03f50000.5a03b5b1e1aa8f8fdb1bbe8d5e04952141f7d4f8',
      'unknown-tld',
      INVALID_TLD_BASE,
      'dnscat.546b03f50000',
      'free',
    ],
    // QNAME minimisation
    ['_.example.org', 'public', 'example.org', '_', 'free'],
  ];
  for (const [qname, kind, base, sub, shape] of cases) {
    it(`${qname} -> ${kind} ${base}`, () => {
      const info = analyzer.analyze(qname);
      assert.equal(info.kind, kind);
      assert.equal(info.base, base);
      assert.equal(info.subLabels.join('.'), sub);
      assert.equal(info.shape, shape);
    });
  }

  it('L8: an escaped dot in the registrable label never makes the public suffix the base domain', () => {
    for (const qname of ['api\\.example.com', 'abc\\.def.co.uk']) {
      const info = analyzer.analyze(qname);
      assert.equal(info.base, INVALID_TLD_BASE, qname);
      assert.equal(info.kind, 'public', qname);
    }
    // an escaped label below a clean registrable domain keeps that domain
    assert.equal(analyzer.analyze('x\\.y.evil.example.com').base, 'example.com');
    assert.equal(analyzer.analyze('\\255\\001.t1.tunnel.test').base, 'tunnel.test');
  });

  it('treats a TLD outside the PSL as unknown and a PSL TLD as known', () => {
    assert.equal(analyzer.analyze('x.example.org').tldStatus, 'icann');
    assert.equal(analyzer.analyze('x.pirate.sea').tldStatus, 'unknown');
    assert.equal(analyzer.analyze('x.bucket.s3.amazonaws.com').tldStatus, 'private');
  });

  it('matches the longest zone suffix, also when a shorter part of it is no zone', () => {
    const nested = new NameAnalyzer({
      trustedEncoders: [],
      internalZones: ['b.internal.example'],
      searchDomains: ['corp.example.com', 'eu.corp.example.com'],
    });
    assert.equal(nested.analyze('api.openai.com.eu.corp.example.com').kind, 'search-expansion');
    assert.equal(nested.analyze('x.b.internal.example').kind, 'internal');
    assert.equal(nested.analyze('x.internal.example').kind, 'unknown-tld');
  });

  it('gives the same answer for a name whether it was cached or not', () => {
    const names = [
      'www.example.org',
      'x.bucket.s3.amazonaws.com',
      'a.www.ck',
      'api.openai.com.corp.example.com',
    ];
    const fresh = names.map((n) =>
      new NameAnalyzer({ trustedEncoders: [], internalZones: [], searchDomains: [] }).analyze(n),
    );
    const shared = new NameAnalyzer({ trustedEncoders: [], internalZones: [], searchDomains: [] });
    for (let round = 0; round < 3; round++) {
      names.forEach((n, i) => assert.deepEqual(shared.analyze(n), fresh[i], n));
    }
  });

  it('takes the registrable domain from the clean tail when labels carry raw bytes', () => {
    const info = analyzer.analyze('0a\\200\\201bc.t1.example.org');
    assert.equal(info.base, 'example.org');
    assert.equal(info.raw, 2);
  });
});
