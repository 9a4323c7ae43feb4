// IP layer: IPv4 options and fragments, IPv6 extension headers and fragments, lengths, address text.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { formatIpv6 } from '../../../src/pcap/ip-address.js';
import { LINKTYPE } from '../../../src/pcap/link-layer.js';
import {
  dnsMessage,
  ethernet,
  fragmentBody,
  ipv4,
  ipv6,
  pcapFile,
  tempCapture,
  udp,
} from './capture-builder.js';
import { compareWithTshark, readAll } from './tshark-compare.js';

function capture(frames: Buffer[], captured: (number | undefined)[] = []): string {
  const packets = frames.map((data, i) => {
    const cut = captured[i];
    return cut === undefined
      ? { seconds: 1_700_000_000, nanos: i * 1000, data }
      : { seconds: 1_700_000_000, nanos: i * 1000, data, captured: cut };
  });
  return tempCapture('ip.pcap', pcapFile(packets, { linkType: LINKTYPE.RAW }));
}

/** A response big enough to fragment: one question, padded with an opaque additional section. */
function bigResponse(id: number): Buffer {
  const msg = dnsMessage(id, 'frag.example.org', 16, true);
  const extra = Buffer.alloc(11 + 400, 0x41);
  extra.writeUInt8(0, 0); // root owner
  extra.writeUInt16BE(16, 1); // TXT
  extra.writeUInt16BE(1, 3);
  extra.writeUInt32BE(60, 5);
  extra.writeUInt16BE(400, 9);
  extra.writeUInt8(255, 11);
  msg.writeUInt16BE(1, 10); // ARCOUNT
  return Buffer.concat([msg, extra]);
}

/** Splits an IPv4 UDP datagram into fragments at the given payload offsets (multiples of 8). */
function fragments4(datagram: Buffer, cuts: number[], id: number): Buffer[] {
  const bounds = [0, ...cuts, datagram.length];
  const out: Buffer[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const start = bounds[i] ?? 0;
    const end = bounds[i + 1] ?? 0;
    out.push(
      ipv4('203.0.113.53', '203.0.113.9', 17, datagram.subarray(start, end), {
        id,
        fragmentOffset: start,
        moreFragments: end < datagram.length,
      }),
    );
  }
  return out;
}

describe('IPv4', () => {
  it('skips header options (IHL > 5)', async () => {
    const routerAlert = Buffer.from([0x94, 0x04, 0x00, 0x00]);
    const path = capture([
      ipv4('192.0.2.1', '192.0.2.53', 17, udp(5000, 53, dnsMessage(1, 'opts.example.org')), {
        options: routerAlert,
      }),
    ]);
    assert.equal((await compareWithTshark(path)).ourMessages, 1);
  });

  it('trims Ethernet padding using the total length', async () => {
    const tiny = ipv4('192.0.2.1', '192.0.2.53', 17, udp(5000, 53, dnsMessage(2, 'a.b')));
    const path = tempCapture(
      'pad.pcap',
      pcapFile([{ seconds: 1, nanos: 0, data: ethernet(0x0800, tiny) }], { linkType: 1 }),
    );
    const { records } = await readAll(path);
    assert.equal(records[0]?.kind === 'dns' ? records[0].payload.length : -1, dnsMessage(2, 'a.b').length);
  });

  it('accepts total length 0 from segmentation offload', async () => {
    const path = capture([
      ipv4('192.0.2.1', '192.0.2.53', 17, udp(5000, 53, dnsMessage(3, 'tso.example.org')), {
        totalLength: 0,
      }),
    ]);
    const { records, stats } = await readAll(path);
    assert.equal(records.length, 1);
    assert.equal(stats.malformed, 0);
  });

  it('reassembles fragments, in order and out of order, like tshark', async () => {
    const datagram = udp(53, 41000, bigResponse(0x2222));
    const inOrder = fragments4(datagram, [152, 304], 7);
    const [a, b, c] = fragments4(datagram, [152, 304], 8);
    assert.ok(a && b && c);
    const path = capture([...inOrder, c, a, b]);
    const result = await compareWithTshark(path);
    assert.equal(result.ourMessages, 2);
    const { records, stats } = await readAll(path);
    assert.deepEqual(
      records.map((r) => r.frame),
      [3, 6],
    );
    assert.equal(stats.fragmentsReassembled, 2);
    assert.equal(stats.fragmentsSkipped, 0);
    const first = records[0];
    assert.ok(first?.kind === 'dns');
    assert.deepEqual(first.payload, bigResponse(0x2222));
  });

  it('counts fragments it cannot reassemble and reports nothing for them', async () => {
    const datagram = udp(53, 41000, bigResponse(0x3333));
    const [first, , last] = fragments4(datagram, [152, 304], 9);
    assert.ok(first && last);
    const { records, stats } = await readAll(capture([first, last]));
    assert.equal(records.length, 0);
    assert.equal(stats.fragmentsSkipped, 2);
    assert.equal(stats.fragmentsReassembled, 0);
  });

  it('counts a datagram cut by the snap length as malformed instead of reporting half a message', async () => {
    const packet = ipv4('192.0.2.1', '192.0.2.53', 17, udp(5000, 53, dnsMessage(4, 'snapped.example.org')));
    const { records, stats } = await readAll(capture([packet], [40]));
    assert.equal(records.length, 0);
    assert.equal(stats.malformed, 1);
  });
});

describe('IPv6', () => {
  it('walks hop-by-hop, routing and destination-options headers to UDP', async () => {
    const path = capture([
      ipv6('2001:db8::1', '2001:db8::53', 17, udp(5000, 53, dnsMessage(5, 'ext.example.org', 28)), [
        { type: 0 },
        { type: 43, body: Buffer.alloc(14) },
        { type: 60 },
      ]),
    ]);
    assert.equal((await compareWithTshark(path)).ourMessages, 1);
  });

  it('reassembles fragments (fragment header, then destination options in the fragmentable part)', async () => {
    const destinationOptions = Buffer.from([17, 0, 1, 4, 0, 0, 0, 0]); // next: UDP; PadN
    const datagram = Buffer.concat([destinationOptions, udp(53, 41000, bigResponse(0x4444))]);
    const cut = 200;
    const frags = [
      ipv6('2001:db8::53', '2001:db8::9', 60, datagram.subarray(0, cut), [
        { type: 44, body: fragmentBody(0, true, 77) },
      ]),
      ipv6('2001:db8::53', '2001:db8::9', 60, datagram.subarray(cut), [
        { type: 44, body: fragmentBody(cut, false, 77) },
      ]),
    ];
    const path = capture(frags);
    assert.equal((await compareWithTshark(path)).ourMessages, 1);
    const { stats } = await readAll(path);
    assert.equal(stats.fragmentsReassembled, 1);
  });

  it('treats an atomic fragment (offset 0, no more fragments) as a whole datagram', async () => {
    const path = capture([
      ipv6('2001:db8::1', '2001:db8::53', 17, udp(5000, 53, dnsMessage(6, 'atomic.example.org', 28)), [
        { type: 44, body: fragmentBody(0, false, 5) },
      ]),
    ]);
    const { records, stats } = await readAll(path);
    assert.equal(records.length, 1);
    assert.equal(stats.fragmentsReassembled, 0);
  });
});

describe('address text (RFC 5952, as tshark prints)', () => {
  const cases: [string, string][] = [
    ['20010db8000000000000000000000001', '2001:db8::1'],
    ['00000000000000000000000000000001', '::1'],
    ['00000000000000000000000000000000', '::'],
    ['fe800000000000000000000000000001', 'fe80::1'],
    ['20010db8000000010001000100010001', '2001:db8:0:1:1:1:1:1'],
    ['20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
    ['20010000000000010000000000000001', '2001:0:0:1::1'],
    ['00000000000000000000ffffc0000201', '::ffff:192.0.2.1'],
  ];
  for (const [hex, text] of cases) {
    it(`${hex} -> ${text}`, () => {
      assert.equal(formatIpv6(Buffer.from(hex, 'hex'), 0), text);
    });
  }
});
