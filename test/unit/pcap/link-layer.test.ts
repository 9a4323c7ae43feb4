// Link types, table-driven: each frame layout read by us and by tshark from the same synthetic pcap.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { LINKTYPE } from '../../../src/pcap/link-layer.js';
import {
  dnsMessage,
  ethernet,
  ipv4,
  ipv6,
  nullHeader,
  pcapFile,
  sll,
  sll2,
  tempCapture,
  udp,
  type Packet,
} from './capture-builder.js';
import { compareWithTshark, readAll } from './tshark-compare.js';

const V4 = 0x0800;
const V6 = 0x86dd;

/** A query from client to server and its response, as IP packets of the given version. */
function exchange(version: 4 | 6, id: number, name: string): Buffer[] {
  const query = udp(40000 + id, 53, dnsMessage(id, name, version === 4 ? 1 : 28));
  const response = udp(53, 40000 + id, dnsMessage(id, name, version === 4 ? 1 : 28, true));
  return version === 4
    ? [ipv4('192.0.2.10', '192.0.2.53', 17, query), ipv4('192.0.2.53', '192.0.2.10', 17, response)]
    : [ipv6('2001:db8::10', '2001:db8::53', 17, query), ipv6('2001:db8::53', '2001:db8::10', 17, response)];
}

function packets(frames: Buffer[]): Packet[] {
  return frames.map((data, i) => ({ seconds: 1_700_000_000 + i, nanos: 250_000_000, data }));
}

interface Case {
  readonly name: string;
  readonly linkType: number;
  readonly frames: Buffer[];
  readonly messages: number;
  readonly nonIp?: number;
}

const CASES: readonly Case[] = [
  {
    name: 'Ethernet, IPv4 and IPv6, padded short frames',
    linkType: LINKTYPE.ETHERNET,
    frames: [
      ...exchange(4, 1, 'a.example.org').map((p) => ethernet(V4, p)),
      ...exchange(6, 2, 'b.example.org').map((p) => ethernet(V6, p)),
    ],
    messages: 4,
  },
  {
    name: 'Ethernet 802.1Q VLAN tag',
    linkType: LINKTYPE.ETHERNET,
    frames: exchange(4, 3, 'vlan.example.org').map((p) => ethernet(V4, p, [[0x8100, 100]])),
    messages: 2,
  },
  {
    name: 'Ethernet QinQ (802.1ad outer, 802.1Q inner), IPv6',
    linkType: LINKTYPE.ETHERNET,
    frames: exchange(6, 4, 'qinq.example.org').map((p) =>
      ethernet(V6, p, [
        [0x88a8, 10],
        [0x8100, 20],
      ]),
    ),
    messages: 2,
  },
  {
    name: 'Ethernet with ARP beside DNS',
    linkType: LINKTYPE.ETHERNET,
    frames: [
      ethernet(0x0806, Buffer.alloc(28)),
      ...exchange(4, 5, 'arp.example.org').map((p) => ethernet(V4, p)),
    ],
    messages: 2,
    nonIp: 1,
  },
  {
    name: 'Linux cooked (SLL)',
    linkType: LINKTYPE.LINUX_SLL,
    frames: [
      ...exchange(4, 6, 'sll.example.org').map((p) => sll(V4, p)),
      ...exchange(6, 7, 'sll6.example.org').map((p) => sll(V6, p)),
    ],
    messages: 4,
  },
  {
    name: 'Linux cooked v2 (SLL2)',
    linkType: LINKTYPE.LINUX_SLL2,
    frames: [
      ...exchange(4, 8, 'sll2.example.org').map((p) => sll2(V4, p)),
      ...exchange(6, 9, 'sll2v6.example.org').map((p) => sll2(V6, p)),
    ],
    messages: 4,
  },
  {
    name: 'raw IP (101), IPv4 and IPv6 mixed',
    linkType: LINKTYPE.RAW,
    frames: [...exchange(4, 10, 'raw.example.org'), ...exchange(6, 11, 'raw6.example.org')],
    messages: 4,
  },
  {
    name: 'raw IPv4 (228)',
    linkType: LINKTYPE.IPV4,
    frames: exchange(4, 12, 'ipv4.example.org'),
    messages: 2,
  },
  {
    name: 'raw IPv6 (229)',
    linkType: LINKTYPE.IPV6,
    frames: exchange(6, 13, 'ipv6.example.org'),
    messages: 2,
  },
  {
    name: 'BSD null, little-endian host (AF_INET 2, Darwin AF_INET6 30)',
    linkType: LINKTYPE.NULL,
    frames: [
      ...exchange(4, 14, 'null.example.org').map((p) => nullHeader(2, true, p)),
      ...exchange(6, 15, 'null6.example.org').map((p) => nullHeader(30, true, p)),
    ],
    messages: 4,
  },
  {
    name: 'BSD null, big-endian host (AF_INET 2, NetBSD AF_INET6 24)',
    linkType: LINKTYPE.NULL,
    frames: [
      ...exchange(4, 16, 'nullbe.example.org').map((p) => nullHeader(2, false, p)),
      ...exchange(6, 17, 'nullbe6.example.org').map((p) => nullHeader(24, false, p)),
    ],
    messages: 4,
  },
  {
    name: 'OpenBSD loop (108), family in network order',
    linkType: LINKTYPE.LOOP,
    frames: [
      ...exchange(4, 18, 'loop.example.org').map((p) => nullHeader(2, false, p)),
      ...exchange(6, 19, 'loop6.example.org').map((p) => nullHeader(24, false, p)),
    ],
    messages: 4,
  },
];

describe('link layers', () => {
  for (const c of CASES) {
    it(`${c.name}: same messages as tshark`, async () => {
      const path = tempCapture('link.pcap', pcapFile(packets(c.frames), { linkType: c.linkType }));
      const result = await compareWithTshark(path);
      assert.equal(result.ourMessages, c.messages);
      const { stats } = await readAll(path);
      assert.equal(stats.nonIp, c.nonIp ?? 0);
      assert.equal(stats.malformed, 0);
      assert.equal(stats.frames, c.frames.length);
    });
  }

  it('counts frames of a link type it does not decode (802.11) and goes on', async () => {
    const path = tempCapture(
      'wifi.pcap',
      pcapFile(packets([Buffer.alloc(40), Buffer.alloc(40)]), { linkType: 105 }),
    );
    const { records, stats } = await readAll(path);
    assert.equal(records.length, 0);
    assert.equal(stats.unsupportedLinkType, 2);
    assert.equal(stats.error, undefined);
  });

  it('reports addresses, ports, transport and an exact copy of the DNS payload', async () => {
    const [query] = exchange(6, 20, 'copy.example.org');
    assert.ok(query);
    const path = tempCapture(
      'copy.pcap',
      pcapFile(packets([ethernet(V6, query)]), { linkType: LINKTYPE.ETHERNET }),
    );
    const { records } = await readAll(path);
    assert.deepEqual(records, [
      {
        kind: 'dns',
        ts: 1_700_000_000_250,
        transport: 'udp',
        srcIp: '2001:db8::10',
        srcPort: 40020,
        dstIp: '2001:db8::53',
        dstPort: 53,
        payload: dnsMessage(20, 'copy.example.org', 28),
        frame: 1,
      },
    ]);
  });
});
