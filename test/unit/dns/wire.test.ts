// The wire-level query reader agrees with dns-packet (the parser of record) on generated and mutated queries.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { qtypeName } from '../../../src/lib/dns-codes.js';
import { parseQuery, readName } from '../../../src/dns/wire.js';

/** Deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_';
const TYPES: readonly dnsPacket.RecordType[] = [
  'A',
  'AAAA',
  'TXT',
  'MX',
  'NULL',
  'CNAME',
  'SRV',
  'PTR',
  'CAA',
];

function randomName(next: () => number): string {
  const labels = 1 + Math.floor(next() * 5);
  return Array.from({ length: labels }, () =>
    Array.from(
      { length: 1 + Math.floor(next() * 20) },
      () => ALPHABET[Math.floor(next() * ALPHABET.length)],
    ).join(''),
  ).join('.');
}

describe('parseQuery', () => {
  it('agrees with dns-packet on 2000 generated queries', () => {
    const next = rng(42);
    for (let i = 0; i < 2000; i++) {
      const name = randomName(next);
      const type = TYPES[Math.floor(next() * TYPES.length)] ?? 'A';
      const edns = next() < 0.5;
      const packet: dnsPacket.Packet = {
        type: 'query',
        id: Math.floor(next() * 65536),
        flags: next() < 0.5 ? dnsPacket.RECURSION_DESIRED : 0,
        questions: [{ name, type, class: 'IN' }],
        additionals: edns
          ? [
              {
                name: '.',
                type: 'OPT',
                udpPayloadSize: 1232 + i,
                extendedRcode: 0,
                ednsVersion: 0,
                flags: 0,
                flag_do: next() < 0.5,
                options: [],
              },
            ]
          : [],
      };
      const wire = dnsPacket.encode(packet);
      const parsed = parseQuery(wire);
      assert.equal(parsed.kind, 'query');
      const decoded = dnsPacket.decode(wire);
      const question = decoded.questions?.[0];
      assert.equal(parsed.query.qname, question?.name);
      assert.equal(parsed.query.name, name.toLowerCase());
      assert.equal(qtypeName(parsed.query.qtype), question?.type);
      assert.equal(parsed.query.id, decoded.id);
      assert.equal(parsed.query.ednsUdpSize > 0, edns);
      assert.equal(parsed.query.questionEnd, 12 + name.length + 2 + 4);
    }
  });

  it('never throws on 20000 mutated packets, and whatever it accepts dns-packet reads the same name', () => {
    const next = rng(7);
    const base = dnsPacket.encode({
      type: 'query',
      id: 1,
      questions: [{ name: 'api.example.org', type: 'A', class: 'IN' }],
    });
    for (let i = 0; i < 20_000; i++) {
      const bytes = Buffer.from(base.subarray(0, Math.max(0, base.length - Math.floor(next() * 4))));
      for (let flips = Math.floor(next() * 4); flips > 0; flips--) {
        bytes[Math.floor(next() * bytes.length)] = Math.floor(next() * 256);
      }
      const parsed = parseQuery(bytes);
      if (parsed.kind !== 'query') continue;
      let decodedName: string | undefined;
      try {
        decodedName = dnsPacket.decode(bytes).questions?.[0]?.name;
      } catch {
        continue; // dns-packet is stricter about trailing sections we do not read
      }
      if (!/\\/.test(parsed.query.qname) && decodedName !== undefined)
        assert.equal(parsed.query.qname, decodedName);
    }
  });

  it('reads a question name as readName does, whatever the bytes (one-pass reader vs the general one)', () => {
    const next = rng(11);
    for (let i = 0; i < 20_000; i++) {
      const labels: number[] = [];
      for (let count = 1 + Math.floor(next() * 5); count > 0; count--) {
        const len = next() < 0.02 ? 64 : Math.floor(next() * 20);
        labels.push(len);
        for (let k = 0; k < len; k++)
          labels.push(next() < 0.05 ? Math.floor(next() * 256) : 0x41 + Math.floor(next() * 58));
      }
      const header = Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
      const bytes = Buffer.concat([header, Buffer.from(labels), Buffer.from([0, 0, 1, 0, 1])]);
      const parsed = parseQuery(bytes);
      const general = readName(bytes, 12, false);
      if (typeof general === 'string') {
        assert.deepEqual(parsed, { kind: 'formerr', reason: general });
        continue;
      }
      assert.equal(parsed.kind, 'query');
      assert.equal(parsed.query.qname, general.text);
      assert.equal(parsed.query.name, general.text.toLowerCase());
      assert.equal(parsed.query.questionEnd, general.end + 4);
    }
  });

  it('takes a 255-byte name and refuses a 256-byte one', () => {
    const query = (name: string): Buffer =>
      Buffer.concat([
        Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
        ...name.split('.').map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label)])),
        Buffer.from([0, 0, 1, 0, 1]),
      ]);
    const longest = ['a'.repeat(63), 'B'.repeat(63), 'c'.repeat(63), 'd'.repeat(61)].join('.');
    const ok = parseQuery(query(longest));
    assert.equal(ok.kind === 'query' && ok.query.name, longest.toLowerCase());
    assert.equal(ok.kind === 'query' && ok.query.qname, longest);
    assert.deepEqual(parseQuery(query(`${longest}e`)), {
      kind: 'formerr',
      reason: 'name longer than 255 bytes',
    });
  });

  it('escapes non-printable bytes and dots inside labels (RFC 1035 §5.1)', () => {
    const wire = Buffer.from([3, 0x61, 0x2e, 0x00, 2, 0xff, 0x41, 0]);
    const name = readName(wire, 0, false);
    assert.deepEqual(name, { text: 'a\\.\\000.\\255A', end: wire.length });
  });

  it('reads EDNS: DO bit and Client Subnet', () => {
    const wire = dnsPacket.encode({
      type: 'query',
      id: 9,
      questions: [{ name: 'x.example', type: 'A' }],
      additionals: [
        {
          name: '.',
          type: 'OPT',
          udpPayloadSize: 4096,
          extendedRcode: 0,
          ednsVersion: 0,
          flags: dnsPacket.DNSSEC_OK,
          flag_do: true,
          options: [{ code: 8, family: 1, sourcePrefixLength: 24, scopePrefixLength: 0, ip: '192.0.2.0' }],
        },
      ],
    });
    const parsed = parseQuery(wire);
    assert.equal(parsed.kind, 'query');
    assert.equal(parsed.query.ednsUdpSize, 4096);
    assert.equal(parsed.query.dnssecOk, true);
    assert.equal(parsed.query.hasClientSubnet, true);
  });
});
