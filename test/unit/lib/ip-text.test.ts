// IPv4/IPv6 wire bytes to text: RFC 5952 (the form conntrack and nft print), table-driven.
import assert from 'node:assert/strict';
import { isIPv6 } from 'node:net';
import { describe, it } from 'node:test';
import { ipv4Text, ipv6Text } from '../../../src/lib/ip-text.js';

const hex = (text: string): Buffer => Buffer.from(text.replace(/[^0-9a-f]/g, ''), 'hex');

describe('ip-text', () => {
  it('prints IPv4 at an offset', () => {
    assert.equal(ipv4Text(Buffer.from([9, 192, 0, 2, 7]), 1), '192.0.2.7');
  });
  const v6: [string, string][] = [
    ['20010db8 00000000 00000000 00000001', '2001:db8::1'],
    ['00000000 00000000 00000000 00000000', '::'],
    ['00000000 00000000 00000000 00000001', '::1'],
    ['20010db8 00000001 00000000 00000001', '2001:db8:0:1::1'],
    ['20010db8 00000000 00010000 00000001', '2001:db8::1:0:0:1'],
    ['20010db8 0001 0002 0003 0004 0005 0006', '2001:db8:1:2:3:4:5:6'],
    ['fe800000 00000000 02000aff fe000001', 'fe80::200:aff:fe00:1'],
    ['20010db8 0000 0001 0001 0001 0001 0001', '2001:db8:0:1:1:1:1:1'],
  ];
  for (const [bytes, text] of v6) {
    it(`prints ${text}`, () => {
      assert.equal(ipv6Text(hex(bytes), 0), text);
      assert.ok(isIPv6(text));
    });
  }
});
