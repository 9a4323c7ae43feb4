// Builds synthetic capture files byte by byte: the link types and layouts real tools rarely write here.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A DNS query (flags 0x0100) or response (0x8180) with one question and no records. */
export function dnsMessage(id: number, name: string, qtype = 1, response = false): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(response ? 0x8180 : 0x0100, 2);
  header.writeUInt16BE(1, 4);
  const labels = name.split('.').map((label) => {
    const bytes = Buffer.from(label, 'latin1');
    return Buffer.concat([Buffer.from([bytes.length]), bytes]);
  });
  const tail = Buffer.alloc(5);
  tail.writeUInt16BE(qtype, 1);
  tail.writeUInt16BE(1, 3);
  return Buffer.concat([header, ...labels, tail]);
}

export function udp(srcPort: number, dstPort: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt16BE(srcPort, 0);
  header.writeUInt16BE(dstPort, 2);
  header.writeUInt16BE(8 + payload.length, 4);
  return Buffer.concat([header, payload]);
}

export const SYN = 0x02;
export const ACK = 0x10;
export const PSH_ACK = 0x18;
export const FIN_ACK = 0x11;

export function tcp(
  srcPort: number,
  dstPort: number,
  seq: number,
  flags: number,
  payload: Buffer,
  ack = 0,
): Buffer {
  const header = Buffer.alloc(20);
  header.writeUInt16BE(srcPort, 0);
  header.writeUInt16BE(dstPort, 2);
  header.writeUInt32BE(seq >>> 0, 4);
  header.writeUInt32BE(flags & ACK ? ack >>> 0 : 0, 8);
  header[12] = 5 << 4;
  header[13] = flags;
  header.writeUInt16BE(65535, 14);
  return Buffer.concat([header, payload]);
}

/** DNS over TCP framing: 2-byte length prefix. */
export function framed(message: Buffer): Buffer {
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(message.length);
  return Buffer.concat([prefix, message]);
}

function ipv4Bytes(text: string): Buffer {
  return Buffer.from(text.split('.').map(Number));
}

function ipv6Bytes(text: string): Buffer {
  const [head = '', tail = ''] = text.split('::');
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((w) => parseInt(w, 16)));
  const left = parse(head);
  const right = text.includes('::') ? parse(tail) : [];
  const words = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const out = Buffer.alloc(16);
  words.forEach((w, i) => out.writeUInt16BE(w, i * 2));
  return out;
}

function checksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) sum += header.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface Ipv4Options {
  readonly id?: number;
  /** Fragment offset in bytes (multiple of 8). */
  readonly fragmentOffset?: number;
  readonly moreFragments?: boolean;
  /** IP options, padded to 4 bytes. */
  readonly options?: Buffer;
  /** Overrides the total length field (0 = segmentation offload). */
  readonly totalLength?: number;
}

export function ipv4(
  src: string,
  dst: string,
  protocol: number,
  payload: Buffer,
  opts: Ipv4Options = {},
): Buffer {
  const options = opts.options ?? Buffer.alloc(0);
  const headerLength = 20 + options.length;
  const header = Buffer.alloc(20);
  header[0] = 0x40 | (headerLength / 4);
  header.writeUInt16BE(opts.totalLength ?? headerLength + payload.length, 2);
  header.writeUInt16BE(opts.id ?? 1, 4);
  header.writeUInt16BE(((opts.fragmentOffset ?? 0) / 8) | (opts.moreFragments ? 0x2000 : 0), 6);
  header[8] = 64;
  header[9] = protocol;
  ipv4Bytes(src).copy(header, 12);
  ipv4Bytes(dst).copy(header, 16);
  const full = Buffer.concat([header, options]);
  full.writeUInt16BE(checksum(full), 10);
  return Buffer.concat([full, payload]);
}

/** An IPv6 extension header of the generic (next, length in 8-byte units) shape. */
export interface Ipv6Extension {
  readonly type: number;
  /** Body after the two-byte (next header, length) prefix; padded to 8-byte units. */
  readonly body?: Buffer;
}

export function ipv6(
  src: string,
  dst: string,
  protocol: number,
  payload: Buffer,
  extensions: readonly Ipv6Extension[] = [],
): Buffer {
  const headers: Buffer[] = [];
  for (let i = 0; i < extensions.length; i++) {
    const ext = extensions[i];
    if (!ext) continue;
    const next = extensions[i + 1]?.type ?? protocol;
    const body = ext.body ?? Buffer.alloc(6);
    const total = Math.ceil((2 + body.length) / 8) * 8;
    const bytes = Buffer.alloc(total);
    bytes[0] = next;
    bytes[1] = ext.type === 44 ? 0 : total / 8 - 1;
    body.copy(bytes, 2);
    headers.push(bytes);
  }
  const rest = Buffer.concat([...headers, payload]);
  const header = Buffer.alloc(40);
  header[0] = 0x60;
  header.writeUInt16BE(rest.length, 4);
  header[6] = extensions[0]?.type ?? protocol;
  header[7] = 64;
  ipv6Bytes(src).copy(header, 8);
  ipv6Bytes(dst).copy(header, 24);
  return Buffer.concat([header, rest]);
}

/** Body of an IPv6 fragment header (after next-header and reserved bytes). */
export function fragmentBody(offset: number, more: boolean, id: number): Buffer {
  const body = Buffer.alloc(6);
  body.writeUInt16BE(offset | (more ? 1 : 0), 0);
  body.writeUInt32BE(id, 2);
  return body;
}

const MAC_A = Buffer.from('020000000001', 'hex');
const MAC_B = Buffer.from('020000000002', 'hex');

/** Ethernet II with optional VLAN tags [tpid, vid] outermost first; padded to 60 bytes like a NIC. */
export function ethernet(ethertype: number, payload: Buffer, tags: readonly [number, number][] = []): Buffer {
  const parts = [MAC_A, MAC_B];
  for (const [tpid, vid] of tags) {
    const tag = Buffer.alloc(4);
    tag.writeUInt16BE(tpid, 0);
    tag.writeUInt16BE(vid, 2);
    parts.push(tag);
  }
  const type = Buffer.alloc(2);
  type.writeUInt16BE(ethertype);
  const frame = Buffer.concat([...parts, type, payload]);
  return frame.length >= 60 ? frame : Buffer.concat([frame, Buffer.alloc(60 - frame.length)]);
}

export function sll(protocol: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt16BE(0, 0); // to us
  header.writeUInt16BE(1, 2); // ARPHRD_ETHER
  header.writeUInt16BE(6, 4);
  MAC_A.copy(header, 6);
  header.writeUInt16BE(protocol, 14);
  return Buffer.concat([header, payload]);
}

export function sll2(protocol: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(20);
  header.writeUInt16BE(protocol, 0);
  header.writeUInt32BE(2, 4); // interface index
  header.writeUInt16BE(1, 8); // ARPHRD_ETHER
  header[10] = 4; // outgoing
  header[11] = 6;
  MAC_A.copy(header, 12);
  return Buffer.concat([header, payload]);
}

/** BSD null/loopback: the address family in the capturing host's byte order. */
export function nullHeader(family: number, littleEndian: boolean, payload: Buffer): Buffer {
  const header = Buffer.alloc(4);
  if (littleEndian) header.writeUInt32LE(family);
  else header.writeUInt32BE(family);
  return Buffer.concat([header, payload]);
}

export interface Packet {
  /** Epoch seconds and nanoseconds. */
  readonly seconds: number;
  readonly nanos: number;
  readonly data: Buffer;
  /** Captured bytes kept (snap length); default all. */
  readonly captured?: number;
}

export interface PcapOptions {
  readonly linkType: number;
  readonly bigEndian?: boolean;
  readonly nanoseconds?: boolean;
}

export function pcapFile(packets: readonly Packet[], opts: PcapOptions): Buffer {
  const be = opts.bigEndian ?? false;
  const u32 = (buf: Buffer, value: number, at: number): void => {
    if (be) buf.writeUInt32BE(value >>> 0, at);
    else buf.writeUInt32LE(value >>> 0, at);
  };
  const u16 = (buf: Buffer, value: number, at: number): void => {
    if (be) buf.writeUInt16BE(value, at);
    else buf.writeUInt16LE(value, at);
  };
  const header = Buffer.alloc(24);
  u32(header, opts.nanoseconds ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  u16(header, 2, 4);
  u16(header, 4, 6);
  u32(header, 262144, 16);
  u32(header, opts.linkType, 20);
  const parts: Buffer[] = [header];
  for (const p of packets) {
    const captured = p.captured ?? p.data.length;
    const rec = Buffer.alloc(16);
    u32(rec, p.seconds, 0);
    u32(rec, opts.nanoseconds ? p.nanos : Math.floor(p.nanos / 1000), 4);
    u32(rec, captured, 8);
    u32(rec, p.data.length, 12);
    parts.push(rec, p.data.subarray(0, captured));
  }
  return Buffer.concat(parts);
}

export interface NgInterface {
  readonly linkType: number;
  /** Raw if_tsresol byte: 6 = microseconds (default), 9 = ns, 0x80 | n = 2^-n. */
  readonly tsresol?: number;
  /** if_tsoffset in seconds. */
  readonly tsoffset?: number;
  readonly snapLength?: number;
}

export interface NgPacket {
  readonly iface: number;
  /** Timestamp in the interface's units. */
  readonly ticks: bigint;
  readonly data: Buffer;
  /** Write a Simple Packet Block (no timestamp, interface 0). */
  readonly simple?: boolean;
}

export interface NgSection {
  readonly bigEndian?: boolean;
  readonly interfaces: readonly NgInterface[];
  readonly packets: readonly NgPacket[];
}

class NgWriter {
  private readonly parts: Buffer[] = [];
  constructor(private readonly be: boolean) {}

  u16(value: number): Buffer {
    const b = Buffer.alloc(2);
    if (this.be) b.writeUInt16BE(value);
    else b.writeUInt16LE(value);
    return b;
  }

  u32(value: number): Buffer {
    const b = Buffer.alloc(4);
    if (this.be) b.writeUInt32BE(value >>> 0);
    else b.writeUInt32LE(value >>> 0);
    return b;
  }

  option(code: number, value: Buffer): Buffer {
    const pad = Buffer.alloc((4 - (value.length % 4)) % 4);
    return Buffer.concat([this.u16(code), this.u16(value.length), value, pad]);
  }

  block(type: number, body: Buffer): void {
    const padded = Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
    const length = padded.length + 12;
    this.parts.push(this.u32(type), this.u32(length), padded, this.u32(length));
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export function pcapngFile(sections: readonly NgSection[]): Buffer {
  const out: Buffer[] = [];
  for (const section of sections) {
    const w = new NgWriter(section.bigEndian ?? false);
    const sectionLength = Buffer.alloc(8, 0xff); // -1: not specified
    w.block(0x0a0d0d0a, Buffer.concat([w.u32(0x1a2b3c4d), w.u16(1), w.u16(0), sectionLength]));
    for (const iface of section.interfaces) {
      const options: Buffer[] = [];
      if (iface.tsresol !== undefined) options.push(w.option(9, Buffer.from([iface.tsresol])));
      if (iface.tsoffset !== undefined) {
        const value = Buffer.alloc(8);
        if (section.bigEndian) value.writeBigInt64BE(BigInt(iface.tsoffset));
        else value.writeBigInt64LE(BigInt(iface.tsoffset));
        options.push(w.option(14, value));
      }
      if (options.length > 0) options.push(w.option(0, Buffer.alloc(0)));
      const body = Buffer.concat([w.u16(iface.linkType), w.u16(0), w.u32(iface.snapLength ?? 0), ...options]);
      w.block(1, body);
    }
    for (const p of section.packets) {
      if (p.simple) {
        w.block(3, Buffer.concat([w.u32(p.data.length), p.data]));
        continue;
      }
      const high = Number(p.ticks >> 32n);
      const low = Number(p.ticks & 0xffffffffn);
      const fields = [p.iface, high, low, p.data.length, p.data.length].map((v) => w.u32(v));
      w.block(6, Buffer.concat([...fields, p.data]));
    }
    out.push(w.bytes());
  }
  return Buffer.concat(out);
}

let scratch: string | undefined;

/** Writes `bytes` to a temporary file (removed when the test process exits) and returns its path. */
export function tempCapture(name: string, bytes: Buffer): string {
  if (scratch === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'dnsward-pcap-'));
    scratch = dir;
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  const path = join(mkdtempSync(join(scratch, 'case-')), name);
  writeFileSync(path, bytes);
  return path;
}
