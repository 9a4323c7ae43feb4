// File formats: classic pcap in both byte orders and resolutions, pcapng sections, interfaces, blocks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { LINKTYPE } from '../../../src/pcap/link-layer.js';
import {
  dnsMessage,
  ethernet,
  ipv4,
  ipv6,
  pcapFile,
  pcapngFile,
  sll,
  tempCapture,
  udp,
  type NgSection,
} from './capture-builder.js';
import { compareWithTshark, readAll } from './tshark-compare.js';
import { epochToMicros, tsharkFields } from '../../helpers/tshark.js';

const SECONDS = 1_700_000_123;
const NANOS = 987_654_321;

function query(id: number, name: string): Buffer {
  return ipv4('198.51.100.7', '198.51.100.53', 17, udp(33000 + id, 53, dnsMessage(id, name)));
}

function query6(id: number, name: string): Buffer {
  return ipv6('2001:db8::7', '2001:db8::53', 17, udp(33000 + id, 53, dnsMessage(id, name, 28)));
}

describe('classic pcap', () => {
  for (const bigEndian of [false, true]) {
    for (const nanoseconds of [false, true]) {
      const label = `${bigEndian ? 'big' : 'little'}-endian, ${nanoseconds ? 'nano' : 'micro'}seconds`;
      it(`${label}: timestamps and messages match tshark`, async () => {
        const frames = [0, 1, 2].map((i) => ({
          seconds: SECONDS + i,
          nanos: NANOS,
          data: ethernet(0x0800, query(i + 1, `t${i}.example.org`)),
        }));
        const path = tempCapture(
          'fmt.pcap',
          pcapFile(frames, { linkType: LINKTYPE.ETHERNET, bigEndian, nanoseconds }),
        );
        const result = await compareWithTshark(path);
        assert.equal(result.ourMessages, 3);
        const { records, stats } = await readAll(path);
        assert.equal(stats.format, 'pcap');
        const expectedMicros = nanoseconds ? 987_654.321 : 987_654;
        assert.ok(Math.abs((records[0]?.ts ?? 0) - (SECONDS * 1000 + expectedMicros / 1000)) < 1e-3);
      });
    }
  }
});

describe('pcapng', () => {
  const tsresolCases: readonly { name: string; tsresol?: number; ticks: bigint }[] = [
    { name: 'default (microseconds)', ticks: BigInt(SECONDS) * 1_000_000n + 987_654n },
    { name: 'milliseconds (10^-3)', tsresol: 3, ticks: BigInt(SECONDS) * 1000n + 987n },
    { name: 'nanoseconds (10^-9)', tsresol: 9, ticks: BigInt(SECONDS) * 1_000_000_000n + BigInt(NANOS) },
    { name: 'power of two (2^-20)', tsresol: 0x80 | 20, ticks: (BigInt(SECONDS) << 20n) + 1_035_630n },
    { name: 'power of two (2^-30)', tsresol: 0x80 | 30, ticks: (BigInt(SECONDS) << 30n) + 1_060_485_597n },
  ];

  it('several interfaces, each with its own link type and if_tsresol: timestamps match tshark', async () => {
    const section: NgSection = {
      interfaces: tsresolCases.map((c, i) =>
        c.tsresol === undefined
          ? { linkType: i % 2 === 0 ? LINKTYPE.ETHERNET : LINKTYPE.LINUX_SLL }
          : { linkType: i % 2 === 0 ? LINKTYPE.ETHERNET : LINKTYPE.LINUX_SLL, tsresol: c.tsresol },
      ),
      packets: tsresolCases.map((c, i) => ({
        iface: i,
        ticks: c.ticks,
        data:
          i % 2 === 0
            ? ethernet(0x0800, query(i, `if${i}.example.org`))
            : sll(0x0800, query(i, `if${i}.example.org`)),
      })),
    };
    const path = tempCapture('multi.pcapng', pcapngFile([section]));
    const result = await compareWithTshark(path);
    assert.equal(result.ourMessages, tsresolCases.length);
    const { records } = await readAll(path);
    const micros = tsharkFields(path, { filter: 'frame', fields: ['frame.time_epoch'] }).map((r) =>
      epochToMicros(r[0]?.[0] ?? ''),
    );
    assert.deepEqual(
      records.map((r) => Math.round(r.ts * 1000)),
      micros,
    );
  });

  it('a big-endian section after a little-endian one, interfaces reset per section', async () => {
    const little: NgSection = {
      interfaces: [{ linkType: LINKTYPE.ETHERNET }],
      packets: [
        { iface: 0, ticks: BigInt(SECONDS) * 1_000_000n, data: ethernet(0x0800, query(1, 'le.example.org')) },
      ],
    };
    const big: NgSection = {
      bigEndian: true,
      interfaces: [{ linkType: LINKTYPE.RAW, tsresol: 9 }, { linkType: LINKTYPE.LINUX_SLL }],
      packets: [
        { iface: 0, ticks: BigInt(SECONDS + 1) * 1_000_000_000n, data: query6(2, 'be.example.org') },
        {
          iface: 1,
          ticks: BigInt(SECONDS + 2) * 1_000_000n,
          data: sll(0x86dd, query6(3, 'be-sll.example.org')),
        },
      ],
    };
    const path = tempCapture('sections.pcapng', pcapngFile([little, big]));
    const result = await compareWithTshark(path);
    assert.equal(result.ourMessages, 3);
    const { records, stats } = await readAll(path);
    assert.equal(stats.format, 'pcapng');
    assert.deepEqual(
      records.map((r) => [r.frame, r.ts, r.srcIp]),
      [
        [1, SECONDS * 1000, '198.51.100.7'],
        [2, (SECONDS + 1) * 1000, '2001:db8::7'],
        [3, (SECONDS + 2) * 1000, '2001:db8::7'],
      ],
    );
  });

  it('simple packet blocks count as frames and keep the previous timestamp', async () => {
    const section: NgSection = {
      interfaces: [{ linkType: LINKTYPE.ETHERNET }],
      packets: [
        {
          iface: 0,
          ticks: BigInt(SECONDS) * 1_000_000n + 5n,
          data: ethernet(0x0800, query(1, 'epb.example.org')),
        },
        { iface: 0, ticks: 0n, data: ethernet(0x0800, query(2, 'spb.example.org')), simple: true },
      ],
    };
    const path = tempCapture('spb.pcapng', pcapngFile([section]));
    const rows = tsharkFields(path, { filter: 'dns', fields: ['frame.number', 'dns.qry.name'] });
    assert.deepEqual(
      rows.map((r) => r.flat()),
      [
        ['1', 'epb.example.org'],
        ['2', 'spb.example.org'],
      ],
    );
    const { records } = await readAll(path);
    assert.deepEqual(
      records.map((r) => [r.frame, r.ts]),
      [
        [1, SECONDS * 1000 + 0.005],
        [2, SECONDS * 1000 + 0.005],
      ],
    );
  });

  it('applies if_tsoffset (seconds added to every timestamp of the interface)', async () => {
    const section: NgSection = {
      interfaces: [{ linkType: LINKTYPE.ETHERNET, tsoffset: 3600 }],
      packets: [{ iface: 0, ticks: 1_000_000n, data: ethernet(0x0800, query(1, 'offset.example.org')) }],
    };
    const { records } = await readAll(tempCapture('offset.pcapng', pcapngFile([section])));
    assert.equal(records[0]?.ts, 3_601_000);
  });

  it('is recognised by its magic bytes, whatever the file is called', async () => {
    const section: NgSection = {
      interfaces: [{ linkType: LINKTYPE.ETHERNET }],
      packets: [{ iface: 0, ticks: 1n, data: ethernet(0x0800, query(1, 'magic.example.org')) }],
    };
    const ng = await readAll(tempCapture('capture.pcap', pcapngFile([section])));
    assert.equal(ng.stats.format, 'pcapng');
    assert.equal(ng.records.length, 1);
    const classic = pcapFile(
      [{ seconds: 1, nanos: 0, data: ethernet(0x0800, query(1, 'magic.example.org')) }],
      {
        linkType: LINKTYPE.ETHERNET,
      },
    );
    const pcap = await readAll(tempCapture('capture.pcapng', classic));
    assert.equal(pcap.stats.format, 'pcap');
    assert.equal(pcap.records.length, 1);
  });
});
