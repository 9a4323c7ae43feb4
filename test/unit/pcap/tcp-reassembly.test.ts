// DNS over TCP: framing by length prefix across segments, retransmissions, reordering, gaps, ports.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { LINKTYPE } from '../../../src/pcap/link-layer.js';
import type { CapturedDns, CapturedRecord } from '../../../src/pcap/records.js';
import { TcpStream } from '../../../src/pcap/tcp-reassembly.js';
import {
  ACK,
  FIN_ACK,
  PSH_ACK,
  SYN,
  dnsMessage,
  ethernet,
  framed,
  ipv4,
  pcapFile,
  tcp,
  tempCapture,
  udp,
} from './capture-builder.js';
import { compareWithTshark, questions, readAll } from './tshark-compare.js';

const CLIENT = '192.0.2.10';
const SERVER = '192.0.2.53';
const OUT_OF_ORDER = ['tcp.reassemble_out_of_order:TRUE'];

/** One direction of the test connection: builds segments with running sequence numbers. */
interface Segment {
  readonly fromClient: boolean;
  readonly seq: number;
  readonly flags: number;
  readonly payload: Buffer;
}

/** Sequence-space distance, for tracking how far each side has sent. */
const ahead = (a: number, b: number): boolean => ((a - b) | 0) > 0;

function capture(segments: readonly Segment[], port = 53): string {
  // each side acknowledges everything the other side has sent so far, as a real peer would
  const sent = new Map<boolean, number>();
  const frames = segments.map((s, i) => {
    const src = s.fromClient ? CLIENT : SERVER;
    const dst = s.fromClient ? SERVER : CLIENT;
    const [sport, dport] = s.fromClient ? [50000, port] : [port, 50000];
    const end = (s.seq + s.payload.length + (s.flags & (SYN | 0x01) ? 1 : 0)) >>> 0;
    const before = sent.get(s.fromClient);
    if (before === undefined || ahead(end, before)) sent.set(s.fromClient, end);
    const ack = sent.get(!s.fromClient) ?? 0;
    const data = ethernet(0x0800, ipv4(src, dst, 6, tcp(sport, dport, s.seq, s.flags, s.payload, ack)));
    return { seconds: 1_700_000_000, nanos: i * 1_000_000, data };
  });
  return tempCapture('tcp.pcap', pcapFile(frames, { linkType: LINKTYPE.ETHERNET }));
}

function handshake(clientIsn: number, serverIsn: number): Segment[] {
  return [
    { fromClient: true, seq: clientIsn, flags: SYN, payload: Buffer.alloc(0) },
    { fromClient: false, seq: serverIsn, flags: SYN | ACK, payload: Buffer.alloc(0) },
    { fromClient: true, seq: clientIsn + 1, flags: ACK, payload: Buffer.alloc(0) },
  ];
}

function data(fromClient: boolean, seq: number, payload: Buffer): Segment {
  return { fromClient, seq: seq >>> 0, flags: PSH_ACK, payload };
}

function summary(records: readonly CapturedRecord[]): string[] {
  return records
    .filter((r): r is CapturedDns => r.kind === 'dns')
    .map(
      (r) =>
        `${r.frame} ${r.srcPort === 53 || r.srcPort === 5300 ? 'R' : 'Q'} ${questions(r.payload)[0]?.name ?? '?'}`,
    );
}

const q = (id: number, name: string): Buffer => framed(dnsMessage(id, name));
const r = (id: number, name: string): Buffer => framed(dnsMessage(id, name, 1, true));

describe('DNS over TCP', () => {
  it('several messages in one segment, one message split inside its length prefix and body', async () => {
    const queries = Buffer.concat([
      q(1, 'one.example.org'),
      q(2, 'two.example.org'),
      q(3, 'three.example.org'),
    ]);
    const responses = Buffer.concat([
      r(1, 'one.example.org'),
      r(2, 'two.example.org'),
      r(3, 'three.example.org'),
    ]);
    const cut1 = r(1, 'one.example.org').length + r(2, 'two.example.org').length + 1; // 1 byte of r3's prefix
    const cut2 = cut1 + 10;
    const path = capture([
      ...handshake(1000, 9000),
      data(true, 1001, queries),
      data(false, 9001, responses.subarray(0, cut1)),
      data(false, 9001 + cut1, responses.subarray(cut1, cut2)),
      data(false, 9001 + cut2, responses.subarray(cut2)),
    ]);
    const result = await compareWithTshark(path);
    assert.equal(result.ourMessages, 6);
    const { records } = await readAll(path);
    assert.deepEqual(summary(records), [
      '4 Q one.example.org',
      '4 Q two.example.org',
      '4 Q three.example.org',
      '5 R one.example.org',
      '5 R two.example.org',
      '7 R three.example.org',
    ]);
  });

  it('retransmissions and overlapping segments deliver each message once', async () => {
    const first = q(1, 'first.example.org');
    const second = q(2, 'second.example.org');
    const both = Buffer.concat([first, second]);
    const path = capture([
      ...handshake(5000, 7000),
      data(true, 5001, first),
      data(true, 5001, first), // exact retransmission
      data(true, 5001 + 4, both.subarray(4)), // overlaps the first message's tail, adds the second
      data(false, 7001, r(1, 'first.example.org')),
    ]);
    const result = await compareWithTshark(path, { prefs: OUT_OF_ORDER });
    assert.equal(result.ourMessages, 3);
    const { records } = await readAll(path);
    assert.deepEqual(summary(records), [
      '4 Q first.example.org',
      '6 Q second.example.org',
      '7 R first.example.org',
    ]);
  });

  it('out-of-order segments wait for the hole to fill (as tshark with out-of-order reassembly)', async () => {
    const message = q(1, 'reordered.example.org');
    const next = q(2, 'after.example.org');
    const stream = Buffer.concat([message, next]);
    const path = capture([
      ...handshake(100, 200),
      data(true, 101 + 12, stream.subarray(12)), // arrives first
      data(true, 101, stream.subarray(0, 12)),
    ]);
    const result = await compareWithTshark(path, { prefs: OUT_OF_ORDER });
    assert.equal(result.ourMessages, 2);
    const { records, stats } = await readAll(path);
    assert.deepEqual(summary(records), ['5 Q reordered.example.org', '5 Q after.example.org']);
    assert.equal(stats.tcpGaps, 0);
  });

  it('a segment the capture lost: counted as a gap, framing resumes at the next segment', async () => {
    const lost = q(1, 'lost.example.org');
    const path = capture([
      ...handshake(100, 200),
      // the segment carrying `lost` was never captured
      data(true, 101 + lost.length, q(2, 'found.example.org')),
      {
        fromClient: true,
        seq: 101 + lost.length + q(2, 'found.example.org').length,
        flags: FIN_ACK,
        payload: Buffer.alloc(0),
      },
    ]);
    const { records, stats } = await readAll(path);
    assert.deepEqual(summary(records), ['4 Q found.example.org'], 'dated by its own segment, not the FIN');
    assert.equal(stats.tcpGaps, 1);
  });

  it('a data segment retransmitted after the FIN is not reported again', async () => {
    const message = q(1, 'once.example.org');
    const path = capture([
      ...handshake(100, 200),
      data(true, 101, message),
      { fromClient: true, seq: 101 + message.length, flags: FIN_ACK, payload: Buffer.alloc(0) },
      data(true, 101, message),
    ]);
    const { records } = await readAll(path);
    assert.deepEqual(summary(records), ['4 Q once.example.org']);
  });

  it('sequence numbers that wrap past 2^32', async () => {
    const stream = Buffer.concat([q(1, 'wrap.example.org'), q(2, 'wrapped.example.org')]);
    const isn = 0xffffffff - 20;
    const path = capture([
      ...handshake(isn, 300),
      data(true, isn + 1, stream.subarray(0, 15)),
      data(true, isn + 16, stream.subarray(15)),
    ]);
    const result = await compareWithTshark(path);
    assert.equal(result.ourMessages, 2);
  });

  it('a connection joined after its SYN: the first segment is taken to start a message', async () => {
    const path = capture([
      data(true, 123456, q(1, 'late.example.org')),
      data(false, 654321, r(1, 'late.example.org')),
    ]);
    const result = await compareWithTshark(path);
    assert.equal(result.ourMessages, 2);
  });

  it('a new SYN on the same addresses and ports starts a fresh stream', async () => {
    const half = q(1, 'abandoned.example.org').subarray(0, 9);
    const path = capture([
      ...handshake(100, 200),
      data(true, 101, half),
      ...handshake(90000, 80000),
      data(true, 90001, q(2, 'fresh.example.org')),
    ]);
    const { records } = await readAll(path);
    assert.deepEqual(summary(records), ['8 Q fresh.example.org']);
  });

  it('DNS on a port the user names (TCP and UDP 5300), with 53 then ignored', async () => {
    const segments = [
      ...handshake(1, 2),
      data(true, 2, q(7, 'port.example.org')),
      data(false, 3, r(7, 'port.example.org')),
    ];
    const path = capture(segments, 5300);
    const ports = new Set([5300]);
    const result = await compareWithTshark(path, { ports, decodeAs: ['tcp.port==5300,dns'] });
    assert.equal(result.ourMessages, 2);
    assert.equal((await readAll(path)).records.length, 0, 'port 5300 is not DNS by default');
  });
});

describe('mDNS', () => {
  const mdns = ethernet(
    0x0800,
    ipv4('192.0.2.10', '224.0.0.251', 17, udp(5353, 5353, dnsMessage(0, 'printer.local', 12))),
  );
  const path = (): string =>
    tempCapture('mdns.pcap', pcapFile([{ seconds: 1, nanos: 0, data: mdns }], { linkType: 1 }));

  it('is excluded by default', async () => {
    assert.equal((await readAll(path())).records.length, 0);
  });

  it('is read when port 5353 is asked for', async () => {
    assert.equal((await readAll(path(), { ports: new Set([53, 5353]) })).records.length, 1);
  });
});

describe('TcpStream', () => {
  const cases: { name: string; segments: [number, string][]; expected: string }[] = [
    {
      name: 'in order',
      segments: [
        [0, 'ab'],
        [2, 'cd'],
      ],
      expected: 'abcd',
    },
    {
      name: 'duplicate',
      segments: [
        [0, 'ab'],
        [0, 'ab'],
        [2, 'c'],
      ],
      expected: 'abc',
    },
    {
      name: 'overlap',
      segments: [
        [0, 'abc'],
        [1, 'bcde'],
      ],
      expected: 'abcde',
    },
    {
      name: 'reordered',
      segments: [
        [3, 'de'],
        [1, 'bc'],
        [0, 'a'],
      ],
      expected: 'abcde',
    },
    {
      name: 'reordered with overlap',
      segments: [
        [2, 'cdef'],
        [4, 'ef'],
        [0, 'abc'],
      ],
      expected: 'abcdef',
    },
    {
      name: 'hole closed at close()',
      segments: [
        [0, 'ab'],
        [5, 'fg'],
      ],
      expected: 'ab|fg',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      let out = '';
      const stream = new TcpStream<null>({ data: (b) => (out += b.toString()), gap: () => (out += '|') });
      stream.push(0xfffffff0, Buffer.alloc(0), true, null);
      for (const [offset, text] of c.segments)
        stream.push((0xfffffff1 + offset) >>> 0, Buffer.from(text), false, null);
      stream.close();
      assert.equal(out, c.expected);
    });
  }

  it('gives up on a hole once too much waits behind it', () => {
    let out = '';
    const stream = new TcpStream<null>({
      data: (b) => (out += b.toString('latin1', 0, 1)),
      gap: () => (out += '|'),
    });
    stream.push(0, Buffer.from('a'), false, null);
    for (let i = 0; i < 40; i++) stream.push(10 + i * 2, Buffer.from('xy'), false, null);
    assert.ok(out.startsWith('a|'), out);
  });
});
