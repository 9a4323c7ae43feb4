// The egress config section: off by default, defaults documented in the README, invalid values refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { egressSection } from '../../../src/config/sections/egress.js';

describe('egress config section', () => {
  it('is off by default, with the documented defaults', () => {
    const config = egressSection.parse(undefined);
    assert.equal(config.nftables.enabled, false);
    assert.equal(config.conntrack.enabled, false);
    assert.deepEqual(
      [
        config.nftables.table,
        config.nftables.family,
        config.nftables.minTtl,
        config.nftables.maxTtl,
        config.nftables.perAgent,
      ],
      ['dnsward', 'inet', 60, 3600, true],
    );
  });

  const invalid: [string, unknown][] = [
    ['minTtl above maxTtl', { nftables: { minTtl: 600, maxTtl: 60 } }],
    ['another family', { nftables: { family: 'ip' } }],
    ['a table name nft would not take', { nftables: { table: 'no spaces' } }],
    ['a source that is no CIDR', { conntrack: { sources: ['agents'] } }],
    ['an unknown field', { nftables: { enable: true } }],
  ];
  for (const [name, input] of invalid) {
    it(`refuses ${name}`, () => assert.equal(egressSection.safeParse(input).success, false));
  }
});
