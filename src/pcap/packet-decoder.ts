// One frame to records: link layer, IP (with fragment reassembly), then UDP DNS or the TCP flows.
import type { RawFrame } from './capture-file.js';
import { formatIpv4, formatIpv6 } from './ip-address.js';
import { FragmentReassembler } from './ip-reassembly.js';
import { IPPROTO_TCP, IPPROTO_UDP, parseIp, walkExtensions, type IpPacket } from './ip.js';
import { findIp } from './link-layer.js';
import type { CapturedRecord, ReadStats } from './records.js';
import { TcpFlows } from './tcp-flows.js';

export const DEFAULT_DNS_PORTS: ReadonlySet<number> = new Set([53]);

export class PacketDecoder {
  private readonly fragments: FragmentReassembler;
  private readonly tcp: TcpFlows;
  /** Records of the frame being decoded; emptied at the start of each call. */
  private readonly out: CapturedRecord[] = [];

  constructor(
    private readonly ports: ReadonlySet<number>,
    private readonly stats: ReadStats,
  ) {
    this.fragments = new FragmentReassembler(stats);
    this.tcp = new TcpFlows(ports, stats, (record) => this.push(record));
  }

  /** Records found in `frame` (often none). The array is reused: consume it before the next call. */
  decode(frame: RawFrame): readonly CapturedRecord[] {
    this.out.length = 0;
    const link = findIp(frame.linkType, frame.data);
    switch (link.kind) {
      case 'ip':
        this.ip(frame, parseIp(frame.data, link.offset, link.version));
        break;
      case 'non-ip':
        this.stats.nonIp++;
        break;
      case 'unsupported':
        this.stats.unsupportedLinkType++;
        break;
      case 'malformed':
        this.stats.malformed++;
        break;
      default: {
        const unexpected: never = link;
        throw new Error(`unexpected link result ${String(unexpected)}`);
      }
    }
    return this.out;
  }

  /** End of capture: fragments never completed are counted, TCP data behind holes delivered. */
  finish(): readonly CapturedRecord[] {
    this.out.length = 0;
    this.fragments.flush();
    this.tcp.finish();
    return this.out;
  }

  private push(record: CapturedRecord): void {
    if (record.kind === 'dns') this.stats.dnsMessages++;
    else this.stats.tlsRecords++;
    this.out.push(record);
  }

  private ip(frame: RawFrame, result: ReturnType<typeof parseIp>): void {
    if (result.kind === 'other') {
      this.stats.nonIp++;
      return;
    }
    if (result.kind === 'malformed') {
      this.stats.malformed++;
      return;
    }
    let packet = result;
    if (packet.fragment) {
      // DNS and TLS ride on UDP and TCP; IPv6 names the protocol only in the first fragment
      if (packet.version === 4 && packet.protocol !== IPPROTO_UDP && packet.protocol !== IPPROTO_TCP) return;
      const whole = this.reassemble(packet, frame.ts);
      if (!whole) return;
      packet = whole;
    }
    if (packet.protocol === IPPROTO_UDP) this.udp(frame, packet);
    else if (packet.protocol === IPPROTO_TCP) this.tcpSegment(frame, packet);
  }

  private reassemble(packet: IpPacket, ts: number): IpPacket | undefined {
    const fragment = packet.fragment;
    if (!fragment) return packet;
    const size = packet.version === 4 ? 4 : 16;
    const src = packet.buf.toString('latin1', packet.srcAt, packet.srcAt + size);
    const dst = packet.buf.toString('latin1', packet.dstAt, packet.dstAt + size);
    const key = `${packet.version}|${src}|${dst}|${packet.version === 4 ? packet.protocol : 0}|${fragment.id}`;
    const payload = this.fragments.add(key, fragment, packet.payload, ts);
    if (!payload) return undefined;
    if (packet.version === 4) return wholePacket(packet, packet.protocol, payload);
    const walked = walkExtensions(packet.protocol, payload);
    if (!walked || walked.fragment) {
      this.stats.malformed++;
      return undefined;
    }
    return wholePacket(packet, walked.protocol, walked.payload);
  }

  private address(packet: IpPacket, at: number): string {
    return packet.version === 4 ? formatIpv4(packet.buf, at) : formatIpv6(packet.buf, at);
  }

  private udp(frame: RawFrame, packet: IpPacket): void {
    const data = packet.payload;
    if (data.length < 8) {
      this.stats.malformed++;
      return;
    }
    const srcPort = data.readUInt16BE(0);
    const dstPort = data.readUInt16BE(2);
    if (!this.ports.has(srcPort) && !this.ports.has(dstPort)) return;
    const length = data.readUInt16BE(4);
    if (length < 8 || length > data.length || packet.truncated) {
      this.stats.malformed++;
      return;
    }
    if (length === 8) return;
    this.push({
      kind: 'dns',
      ts: frame.ts,
      transport: 'udp',
      srcIp: this.address(packet, packet.srcAt),
      srcPort,
      dstIp: this.address(packet, packet.dstAt),
      dstPort,
      payload: Buffer.from(data.subarray(8, length)),
      frame: frame.frame,
    });
  }

  private tcpSegment(frame: RawFrame, packet: IpPacket): void {
    const data = packet.payload;
    if (data.length < 20) {
      this.stats.malformed++;
      return;
    }
    const srcPort = data.readUInt16BE(0);
    const dstPort = data.readUInt16BE(2);
    const headerLength = ((data[12] ?? 0) >> 4) * 4;
    if (headerLength < 20 || headerLength > data.length) {
      this.stats.malformed++;
      return;
    }
    const payload = data.subarray(headerLength);
    if (!this.tcp.wants(frame.ts, srcPort, dstPort, payload)) return;
    if (packet.truncated) {
      // a cut segment would corrupt the stream; leaving it out makes it a gap instead
      this.stats.malformed++;
      return;
    }
    this.tcp.segment({
      ts: frame.ts,
      frame: frame.frame,
      srcIp: this.address(packet, packet.srcAt),
      srcPort,
      dstIp: this.address(packet, packet.dstAt),
      dstPort,
      seq: data.readUInt32BE(4),
      flags: data[13] ?? 0,
      payload,
    });
  }
}

/** The reassembled datagram, with the addresses of its first fragment. */
function wholePacket(fragment: IpPacket, protocol: number, payload: Buffer): IpPacket {
  const { kind, version, buf, srcAt, dstAt } = fragment;
  return { kind, version, buf, srcAt, dstAt, protocol, payload, truncated: false };
}
