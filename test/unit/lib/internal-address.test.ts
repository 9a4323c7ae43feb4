// Which addresses count as internal for the rebinding guard, table-driven over the forms of finding M4.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressToBigInt } from '../../../src/lib/cidr.js';
import { isInternalAddress } from '../../../src/lib/internal-address.js';

/** Address text to its 4 or 16 wire bytes (write IPv4-mapped addresses in hex, as an AAAA record holds them). */
function bytes(text: string): Uint8Array {
  const parsed = addressToBigInt(text);
  assert.ok(parsed, text);
  let value = parsed.value;
  const out = new Uint8Array(parsed.family === 4 ? 4 : 16);
  for (let i = out.length - 1; i >= 0; i--) {
    out[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return out;
}

const INTERNAL = [
  // IPv4 special-purpose ranges
  '0.0.0.0',
  '10.1.2.3',
  '100.64.0.1',
  '127.0.0.1',
  '169.254.169.254',
  '172.16.0.1',
  '172.31.255.255',
  '192.0.0.8',
  '192.168.1.1',
  '198.18.0.1', // benchmarking (M4)
  '198.19.255.255',
  '224.0.0.1', // multicast (M4)
  '239.255.255.250',
  '240.0.0.1', // reserved (M4)
  '255.255.255.255', // broadcast (M4)
  // IPv6
  '::',
  '::1',
  '::a9fe:a9fe', // IPv4-compatible 169.254.169.254 (M4)
  '::ffff:a9fe:a9fe', // IPv4-mapped 169.254.169.254
  '64:ff9b::a9fe:a9fe', // NAT64 of 169.254.169.254 (M4)
  '64:ff9b::7f00:1',
  '64:ff9b:1::a00:1', // local-use NAT64 of 10.0.0.1
  '2002:a9fe:a9fe::1', // 6to4 of 169.254.169.254 (M4)
  '2002:7f00:1::',
  'fc00::1',
  'fd12:3456::1',
  'fe80::1',
  'fec0::1', // site-local (M4)
  'ff02::1', // multicast
];

const PUBLIC = [
  '1.1.1.1',
  '8.8.8.8',
  '100.63.255.255',
  '100.128.0.0',
  '172.15.255.255',
  '172.32.0.0',
  '192.0.2.80', // documentation ranges stay: examples and tests answer with them
  '198.17.255.255',
  '198.20.0.0',
  '198.51.100.1',
  '203.0.113.9',
  '223.255.255.255',
  '2001:db8::1',
  '2606:4700::1111',
  '64:ff9b::808:808', // NAT64 of 8.8.8.8: a real, reachable address
  '64:ff9b:2::a00:1', // not a NAT64 prefix
  '2002:808:808::1', // 6to4 of 8.8.8.8
  '::1:0:0:1',
];

describe('isInternalAddress', () => {
  for (const address of INTERNAL) {
    it(`${address} is internal`, () => assert.equal(isInternalAddress(bytes(address)), true));
  }
  for (const address of PUBLIC) {
    it(`${address} is public`, () => assert.equal(isInternalAddress(bytes(address)), false));
  }
  it('anything but 4 or 16 bytes is not an address', () => {
    assert.equal(isInternalAddress(new Uint8Array(5)), false);
  });
});
