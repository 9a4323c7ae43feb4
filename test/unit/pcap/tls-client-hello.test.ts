// Bypass evidence: TLS ClientHello SNI on any port, and DNS-over-TLS connections to port 853.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { LINKTYPE } from '../../../src/pcap/link-layer.js';
import type { CapturedRecord } from '../../../src/pcap/records.js';
import { clientHelloRecordLength, readSni } from '../../../src/pcap/tls-client-hello.js';
import { ACK, PSH_ACK, SYN, ethernet, ipv4, pcapFile, tcp, tempCapture } from './capture-builder.js';
import { readAll } from './tshark-compare.js';
import { tsharkFields } from '../../helpers/tshark.js';

function extension(type: number, body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(type, 0);
  head.writeUInt16BE(body.length, 2);
  return Buffer.concat([head, body]);
}

function sniExtension(name: string): Buffer {
  const host = Buffer.from(name, 'latin1');
  const entry = Buffer.alloc(3);
  entry.writeUInt16BE(host.length, 1);
  const list = Buffer.concat([entry, host]);
  const listLength = Buffer.alloc(2);
  listLength.writeUInt16BE(list.length);
  return extension(0, Buffer.concat([listLength, list]));
}

/** A TLS 1.2-style ClientHello record; `padding` bytes of a padding extension come before the SNI. */
function clientHello(sni: string | undefined, padding = 0): Buffer {
  const extensions = Buffer.concat([
    extension(0x000a, Buffer.from('0004001d0017', 'hex')), // supported_groups
    ...(padding > 0 ? [extension(0x0015, Buffer.alloc(padding))] : []),
    ...(sni === undefined ? [] : [sniExtension(sni)]),
  ]);
  const extLength = Buffer.alloc(2);
  extLength.writeUInt16BE(extensions.length);
  const body = Buffer.concat([
    Buffer.from([0x03, 0x03]),
    Buffer.alloc(32, 7), // random
    Buffer.from([32]),
    Buffer.alloc(32, 9), // session id
    Buffer.from('000413011302', 'hex'), // cipher suites
    Buffer.from([1, 0]), // compression: null
    extLength,
    extensions,
  ]);
  const handshake = Buffer.concat([Buffer.from([1, 0, body.length >> 8, body.length & 0xff]), body]);
  const record = Buffer.from([0x16, 0x03, 0x01, handshake.length >> 8, handshake.length & 0xff]);
  return Buffer.concat([record, handshake]);
}

describe('readSni', () => {
  it('reads the host name after other extensions', () => {
    const hello = clientHello('dns.google');
    assert.equal(clientHelloRecordLength(hello), hello.length);
    assert.equal(readSni(hello), 'dns.google');
  });

  it('M6: an SNI with terminal escape sequences and newlines comes out as \\DDD escapes', () => {
    const sni = '\x1b[2J\x1b[H\x1b[31mALL CLEAR\x1b[0m\n\x1b]0;owned\x07x.dns.nextdns.io';
    const text = readSni(clientHello(sni)) ?? '';
    assert.ok(
      Buffer.from(text, 'latin1').every((c) => c > 0x20 && c < 0x7f),
      text,
    );
    assert.equal(
      text,
      '\\027[2J\\027[H\\027[31mALL\\032CLEAR\\027[0m\\010\\027]0;owned\\007x.dns.nextdns.io',
    );
  });

  it('is undefined without a server_name extension', () => {
    assert.equal(readSni(clientHello(undefined)), undefined);
  });

  it('never throws on a cut or garbled record', () => {
    const hello = clientHello('cloudflare-dns.com', 40);
    for (let cut = 0; cut < hello.length; cut++) {
      assert.doesNotThrow(() => readSni(hello.subarray(0, cut)));
    }
    for (let i = 0; i < 2000; i++) {
      const noisy = Buffer.from(hello);
      noisy[5 + ((i * 7919) % (noisy.length - 5))] = (i * 31) & 0xff;
      assert.doesNotThrow(() => readSni(noisy));
    }
  });

  it('only accepts handshake records that start with a ClientHello', () => {
    assert.equal(clientHelloRecordLength(Buffer.from('170303001000', 'hex')), 0); // application data
    assert.equal(clientHelloRecordLength(Buffer.from('160303004002', 'hex')), 0); // ServerHello
    assert.equal(clientHelloRecordLength(Buffer.from('GET / HTTP/1.1\r\n')), 0);
  });
});

const CLIENT = '192.0.2.10';
const SERVER = '198.51.100.1';

interface Seg {
  readonly sport: number;
  readonly dport: number;
  readonly seq: number;
  readonly flags: number;
  readonly payload?: Buffer;
}

function capture(segments: readonly Seg[]): string {
  const frames = segments.map((s, i) => ({
    seconds: 1_700_000_000,
    nanos: i * 1000,
    data: ethernet(
      0x0800,
      ipv4(CLIENT, SERVER, 6, tcp(s.sport, s.dport, s.seq, s.flags, s.payload ?? Buffer.alloc(0), 1)),
    ),
  }));
  return tempCapture('tls.pcap', pcapFile(frames, { linkType: LINKTYPE.ETHERNET }));
}

function evidence(records: readonly CapturedRecord[]): string[] {
  return records.map((r) => `${r.frame} ${r.kind} ${r.dstPort}${r.kind === 'dns' ? '' : ` ${r.sni ?? '-'}`}`);
}

describe('bypass evidence in a capture', () => {
  it('ClientHellos on any port, one segment or two, retransmission reported once; same SNIs as tshark', async () => {
    const big = clientHello('mozilla.cloudflare-dns.com', 1800);
    const path = capture([
      { sport: 40001, dport: 443, seq: 100, flags: SYN },
      { sport: 40001, dport: 443, seq: 101, flags: PSH_ACK, payload: clientHello('dns.google') },
      { sport: 40001, dport: 443, seq: 101, flags: PSH_ACK, payload: clientHello('dns.google') },
      { sport: 40002, dport: 8443, seq: 500, flags: SYN },
      { sport: 40002, dport: 8443, seq: 501, flags: ACK, payload: big.subarray(0, 1400) },
      { sport: 40002, dport: 8443, seq: 1901, flags: PSH_ACK, payload: big.subarray(1400) },
      { sport: 40003, dport: 443, seq: 900, flags: PSH_ACK, payload: Buffer.from('160301ffff01', 'hex') },
    ]);
    const { records } = await readAll(path);
    assert.deepEqual(evidence(records), [
      '2 tls-sni 443 dns.google',
      '6 tls-sni 8443 mozilla.cloudflare-dns.com',
    ]);
    const rows = tsharkFields(path, {
      filter: 'tls.handshake.type == 1 && !tcp.analysis.retransmission',
      fields: ['frame.number', 'tls.handshake.extensions_server_name'],
      decodeAs: ['tcp.port==8443,tls'],
    });
    assert.deepEqual(
      rows.map((r) => r.flat().join(' ')),
      ['2 dns.google', '6 mozilla.cloudflare-dns.com'],
    );
  });

  it('a connection to port 853 is DNS over TLS: reported once per connection, from the SYN or first data', async () => {
    const path = capture([
      { sport: 41000, dport: 853, seq: 10, flags: SYN },
      { sport: 41000, dport: 853, seq: 10, flags: SYN }, // SYN retransmitted
      { sport: 41000, dport: 853, seq: 11, flags: PSH_ACK, payload: clientHello('dns.quad9.net') },
      {
        sport: 41001,
        dport: 853,
        seq: 70,
        flags: PSH_ACK,
        payload: Buffer.from('17030300050000000000', 'hex'),
      },
      {
        sport: 41001,
        dport: 853,
        seq: 80,
        flags: PSH_ACK,
        payload: Buffer.from('17030300050000000000', 'hex'),
      },
    ]);
    const { records, stats } = await readAll(path);
    assert.deepEqual(evidence(records), ['1 dot 853 -', '3 tls-sni 853 dns.quad9.net', '4 dot 853 -']);
    assert.equal(stats.tlsRecords, 3);
    assert.equal(stats.dnsMessages, 0);
  });
});
