// TCP connections of interest: DNS streams (2-byte length framing), TLS ClientHellos, DoT connections.
import type { CapturedDns, CapturedRecord, CapturedTls } from './records.js';
import { TcpStream, type StreamSink } from './tcp-reassembly.js';
import { clientHelloRecordLength, readSni } from './tls-client-hello.js';

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;
export const DOT_PORT = 853;

const MAX_DNS_FLOWS = 1024;
const MAX_HELLO_FLOWS = 256;
const MAX_REMEMBERED = 4096;
/** A ClientHello still incomplete this long (capture time) after its first segment is abandoned. */
const HELLO_TIMEOUT_MS = 10_000;

/** One TCP segment, addresses already in text form. */
export interface TcpSegment {
  readonly ts: number;
  readonly frame: number;
  readonly srcIp: string;
  readonly srcPort: number;
  readonly dstIp: string;
  readonly dstPort: number;
  readonly seq: number;
  readonly flags: number;
  readonly payload: Buffer;
}

export interface TcpCounters {
  tcpGaps: number;
}

type Emit = (record: CapturedRecord) => void;

/** Frames DNS messages out of one direction of a DNS-over-TCP connection (RFC 1035 4.2.2). */
class DnsFlow implements StreamSink<TcpSegment> {
  readonly stream = new TcpStream<TcpSegment>(this);
  /** Sequence number of the SYN that opened the connection, -1 when joined mid-connection. */
  readonly isn: number;
  private pending: Buffer | undefined;

  constructor(
    first: TcpSegment,
    private readonly emit: Emit,
    private readonly counters: TcpCounters,
  ) {
    this.isn = (first.flags & TCP_SYN) !== 0 ? first.seq : -1;
  }

  /** `seg` is the segment that completed these bytes: it dates the messages they complete. */
  data(bytes: Buffer, seg: TcpSegment): void {
    let buf = this.pending ? Buffer.concat([this.pending, bytes]) : bytes;
    while (buf.length >= 2) {
      const length = buf.readUInt16BE(0);
      if (buf.length < 2 + length) break;
      if (length > 0) this.emit(dnsRecord(seg, Buffer.from(buf.subarray(2, 2 + length))));
      buf = buf.subarray(2 + length);
    }
    // copy the remainder: `bytes` is a view into a read buffer
    this.pending = buf.length > 0 ? Buffer.from(buf) : undefined;
  }

  gap(): void {
    // the length prefixes are lost with the hole; assume the next segment starts a message
    this.pending = undefined;
    this.counters.tcpGaps++;
  }
}

/** Collects a ClientHello that spans several segments. */
class HelloFlow implements StreamSink<undefined> {
  readonly stream = new TcpStream<undefined>(this);
  private readonly chunks: Buffer[] = [];
  private have = 0;
  failed = false;

  constructor(
    readonly needed: number,
    readonly firstTs: number,
  ) {}

  data(bytes: Buffer): void {
    this.chunks.push(Buffer.from(bytes));
    this.have += bytes.length;
  }

  gap(): void {
    this.failed = true;
  }

  record(): Buffer | undefined {
    return this.have >= this.needed ? Buffer.concat(this.chunks).subarray(0, this.needed) : undefined;
  }
}

function dnsRecord(seg: TcpSegment, payload: Buffer): CapturedDns {
  return {
    kind: 'dns',
    ts: seg.ts,
    transport: 'tcp',
    srcIp: seg.srcIp,
    srcPort: seg.srcPort,
    dstIp: seg.dstIp,
    dstPort: seg.dstPort,
    payload,
    frame: seg.frame,
  };
}

function tlsRecord(seg: TcpSegment, kind: 'dot' | 'tls-sni', sni?: string): CapturedTls {
  const base = {
    ts: seg.ts,
    srcIp: seg.srcIp,
    srcPort: seg.srcPort,
    dstIp: seg.dstIp,
    dstPort: seg.dstPort,
    frame: seg.frame,
  };
  return sni === undefined ? { kind, ...base } : { kind, ...base, sni };
}

/** Adds `key` to a bounded insertion-ordered map, evicting the oldest entry when full. */
function remember<V>(
  map: Map<string, V>,
  key: string,
  value: V,
  max: number,
  evicted?: (v: V) => void,
): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) {
    const oldest = map.keys().next();
    if (oldest.done !== true) {
      const value = map.get(oldest.value);
      map.delete(oldest.value);
      if (value !== undefined) evicted?.(value);
    }
  }
}

/** Every TCP connection the reader follows, bounded in number and in buffered bytes. */
export class TcpFlows {
  private readonly dnsFlows = new Map<string, DnsFlow>();
  private readonly helloFlows = new Map<string, HelloFlow>();
  /** Client-to-853 directions already reported, with the SYN's sequence number (-1: joined late). */
  private readonly dotSeen = new Map<string, number>();
  private readonly hellosSeen = new Map<string, true>();

  constructor(
    private readonly dnsPorts: ReadonlySet<number>,
    private readonly counters: TcpCounters,
    private readonly emit: Emit,
  ) {}

  /** Cheap test on ports and payload, before addresses are turned into text. */
  wants(ts: number, srcPort: number, dstPort: number, payload: Buffer): boolean {
    for (const [key, flow] of this.helloFlows) {
      if (ts - flow.firstTs <= HELLO_TIMEOUT_MS) break; // insertion order = age order
      this.helloFlows.delete(key);
    }
    return (
      this.dnsPorts.has(srcPort) ||
      this.dnsPorts.has(dstPort) ||
      dstPort === DOT_PORT ||
      this.helloFlows.size > 0 ||
      clientHelloRecordLength(payload) > 0
    );
  }

  segment(seg: TcpSegment): void {
    const key = `${seg.srcIp}|${seg.srcPort}|${seg.dstIp}|${seg.dstPort}`;
    if (this.dnsPorts.has(seg.srcPort) || this.dnsPorts.has(seg.dstPort)) {
      this.dnsSegment(key, seg);
      return;
    }
    if (seg.dstPort === DOT_PORT) this.dotSegment(key, seg);
    this.helloSegment(key, seg);
  }

  /** End of capture: deliver what waits behind holes. */
  finish(): void {
    for (const flow of this.dnsFlows.values()) flow.stream.close();
    this.dnsFlows.clear();
    this.helloFlows.clear();
  }

  private dnsSegment(key: string, seg: TcpSegment): void {
    const syn = (seg.flags & TCP_SYN) !== 0;
    let flow = this.dnsFlows.get(key);
    if (!flow || (syn && flow.isn !== seg.seq)) {
      // a SYN starts a new connection even when the 4-tuple is being reused
      flow?.stream.close();
      flow = new DnsFlow(seg, this.emit, this.counters);
    }
    remember(this.dnsFlows, key, flow, MAX_DNS_FLOWS, (old) => old.stream.close());
    flow.stream.push(seg.seq, seg.payload, syn, seg);
    // on FIN or RST deliver what waits behind holes, but keep the flow (it ages out of the bounded
    // map): a late retransmission is then trimmed as old bytes instead of starting a bogus stream
    if ((seg.flags & (TCP_FIN | TCP_RST)) !== 0) flow.stream.close();
  }

  private dotSegment(key: string, seg: TcpSegment): void {
    const syn = (seg.flags & (TCP_SYN | TCP_ACK)) === TCP_SYN;
    const seen = this.dotSeen.get(key);
    if (syn ? seen !== seg.seq : seen === undefined && seg.payload.length > 0) {
      remember(this.dotSeen, key, syn ? seg.seq : -1, MAX_REMEMBERED);
      this.emit(tlsRecord(seg, 'dot'));
    }
  }

  private helloSegment(key: string, seg: TcpSegment): void {
    const waiting = this.helloFlows.get(key);
    if (waiting) {
      waiting.stream.push(seg.seq, seg.payload, false, undefined);
      const record = waiting.record();
      if (record || waiting.failed || (seg.flags & (TCP_FIN | TCP_RST)) !== 0) this.helloFlows.delete(key);
      if (record) this.reportHello(key, seg, record);
      return;
    }
    const needed = clientHelloRecordLength(seg.payload);
    if (needed === 0) return;
    if (seg.payload.length >= needed) {
      this.reportHello(key, seg, seg.payload.subarray(0, needed));
      return;
    }
    const flow = new HelloFlow(needed, seg.ts);
    flow.stream.push(seg.seq, seg.payload, false, undefined);
    remember(this.helloFlows, key, flow, MAX_HELLO_FLOWS);
  }

  private reportHello(key: string, seg: TcpSegment, record: Buffer): void {
    const sni = readSni(record);
    if (sni === undefined) return;
    // a retransmitted ClientHello is the same evidence: report each (direction, hello) once
    const id = `${key}|${sni}`;
    if (this.hellosSeen.has(id)) return;
    remember(this.hellosSeen, id, true, MAX_REMEMBERED);
    this.emit(tlsRecord(seg, 'tls-sni', sni));
  }
}
