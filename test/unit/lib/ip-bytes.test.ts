// Address bytes <-> text: the text must be the canonical form (what dgram reports and identity matches).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatIp, writeIp } from '../../../src/lib/ip-bytes.js';

/** WHATWG URL parsing serialises IPv6 in RFC 5952 form: an independent canonicaliser. */
const canonical6 = (text: string): string => new URL(`http://[${text}]/`).hostname.slice(1, -1);

function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('ip bytes', () => {
  it('IPv4: dotted quad, at an offset, and back', () => {
    const bytes = new Uint8Array([9, 9, 127, 0, 0, 1, 9]);
    assert.equal(formatIp(bytes, 2, 4), '127.0.0.1');
    const out = new Uint8Array(8);
    assert.ok(writeIp('10.20.30.255', 4, out, 4));
    assert.deepEqual([...out], [0, 0, 0, 0, 10, 20, 30, 255]);
    assert.equal(writeIp('::1', 4, out, 0), false);
    assert.equal(writeIp('not an address', 4, out, 0), false);
  });

  it('IPv6: fixed cases', () => {
    const cases: [string, string][] = [
      ['::1', '::1'],
      ['::', '::'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['fe80::1:0:0:0', 'fe80:0:0:0:1::'],
    ];
    for (const [input, expected] of cases) {
      const bytes = new Uint8Array(16);
      assert.ok(writeIp(input, 6, bytes, 0), input);
      assert.equal(formatIp(bytes, 0, 6), canonical6(expected), input);
    }
  });

  it('IPv6: 5,000 random addresses with zero runs format canonically and round-trip', () => {
    const random = rng(7);
    for (let n = 0; n < 5000; n++) {
      const bytes = new Uint8Array(16);
      for (let g = 0; g < 8; g++) {
        const value = random() < 0.45 ? 0 : Math.floor(random() * 65536);
        bytes[2 * g] = value >> 8;
        bytes[2 * g + 1] = value & 0xff;
      }
      if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) continue;
      const text = formatIp(bytes, 0, 6);
      assert.equal(text, canonical6(text), [...bytes].join(','));
      const back = new Uint8Array(16);
      assert.ok(writeIp(text, 6, back, 0));
      assert.deepEqual(back, bytes);
    }
  });
});
