// CIDR parsing is strict: a prefix length is decimal digits, or the rule is refused (H2).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePrefix, prefixWarning } from '../../../src/lib/cidr.js';

describe('parsePrefix', () => {
  it('H2: a CIDR with an empty, hex, exponent, spaced, signed or fractional prefix is rejected', () => {
    for (const text of [
      '10.40.0.0/',
      'fd00::/',
      '10.0.0.0/0x10',
      '10.0.0.0/1e1',
      '10.0.0.0/ 16',
      '10.0.0.0/16 ',
      '10.0.0.0/16.0',
      '10.0.0.0/-0',
      '10.0.0.0/+8',
      '10.0.0.0/33',
      'fd00::/129',
      '10.0.0.0/0016',
    ])
      assert.equal(parsePrefix(text), null, text);
  });

  it('H2: decimal prefixes and bare addresses still parse', () => {
    assert.deepEqual(parsePrefix('10.40.0.0/16'), { family: 4, bits: 16, network: 0x0a280000n });
    assert.equal(parsePrefix('10.1.2.3')?.bits, 32);
    assert.equal(parsePrefix('fd00::/8')?.bits, 8);
    assert.equal(parsePrefix('0.0.0.0/0')?.bits, 0);
  });

  it('H2: a /0 rule and host bits set are warned about', () => {
    assert.match(prefixWarning('0.0.0.0/0') ?? '', /every IPv4 address/);
    assert.match(prefixWarning('::/0') ?? '', /every IPv6 address/);
    assert.match(prefixWarning('10.30.4.17/16') ?? '', /host bits set/);
    assert.equal(prefixWarning('10.30.0.0/16'), null);
    assert.equal(prefixWarning('10.30.4.17'), null);
  });
});
