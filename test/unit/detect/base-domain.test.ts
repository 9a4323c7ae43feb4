import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'tldts';
import { BaseDomainResolver } from '../../../src/lib/base-domain.js';

/** What tldts itself says, with the resolver's options. */
function expected(host: string): { base: string; publicSuffix: string; tldStatus: string } {
  const r = parse(host, {
    allowPrivateDomains: true,
    extractHostname: false,
    validateHostname: false,
    detectIp: false,
    mixedInputs: false,
  });
  return {
    base: r.domain ?? host,
    publicSuffix: r.publicSuffix ?? host,
    tldStatus: r.isIcann === true ? 'icann' : r.isPrivate === true ? 'private' : 'unknown',
  };
}

describe('BaseDomainResolver', () => {
  const tricky = [
    // private suffixes
    'github.io',
    'user.github.io',
    'a.user.github.io',
    'bucket.s3.amazonaws.com',
    'x.bucket.s3.amazonaws.com',
    // a rule below a name that is no rule itself
    'dualstack.us-east-1.amazonaws.com',
    's3.dualstack.us-east-1.amazonaws.com',
    'bucket.s3.dualstack.us-east-1.amazonaws.com',
    'zz.dualstack.us-east-1.amazonaws.com',
    // wildcard and exception rules (*.ck, !www.ck; *.kawasaki.jp, !city.kawasaki.jp)
    'ck',
    'foo.ck',
    'a.foo.ck',
    'www.ck',
    'a.www.ck',
    'kawasaki.jp',
    'x.kawasaki.jp',
    'a.x.kawasaki.jp',
    'city.kawasaki.jp',
    'a.city.kawasaki.jp',
    // ICANN multi-label suffixes
    'co.uk',
    'example.co.uk',
    'a.b.example.co.uk',
    // unknown TLDs, IP-like labels, single labels
    'pirate.sea',
    'x.y.pirate.sea',
    '192.168.1.1',
    '4.3.2.1.in-addr.arpa',
    'localhost',
    'com',
    'example.com',
  ];

  it('gives exactly what tldts gives, before and after a name is memoised', () => {
    const resolver = new BaseDomainResolver();
    for (let round = 0; round < 3; round++) {
      for (const host of tricky) assert.deepEqual({ ...resolver.resolve(host) }, expected(host), host);
    }
  });

  it('stays exact when the memo evicts', () => {
    const resolver = new BaseDomainResolver(4);
    for (let round = 0; round < 3; round++) {
      for (const host of tricky) assert.deepEqual({ ...resolver.resolve(host) }, expected(host), host);
    }
  });
});
