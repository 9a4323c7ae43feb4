// Evaluation helper: turns a pcap/pcapng into QueryEvents with dnsward's own reader (src/pcap).
import { pairDns } from '../../src/pcap/dns-pairing.js';
import { readCapture } from '../../src/pcap/read-capture.js';
import type { CapturedDns } from '../../src/pcap/records.js';
import type { QueryEvent } from '../../src/model/query-event.js';

const QTYPES: Record<number, string> = {
  1: 'A',
  2: 'NS',
  5: 'CNAME',
  6: 'SOA',
  10: 'NULL',
  12: 'PTR',
  13: 'HINFO',
  15: 'MX',
  16: 'TXT',
  25: 'KEY',
  28: 'AAAA',
  33: 'SRV',
  35: 'NAPTR',
  43: 'DS',
  48: 'DNSKEY',
  64: 'SVCB',
  65: 'HTTPS',
  99: 'SPF',
  255: 'ANY',
  257: 'CAA',
};
const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

interface Parsed {
  id: number;
  qr: boolean;
  rcode: number;
  qname: string;
  qtype: number;
  answers: number;
}

/** RFC 1035 presentation form, lower-cased: LDH and printable bytes as is, "." as "\.", others as \DDD. */
function presentation(label: Buffer): string {
  let out = '';
  for (const byte of label) {
    if (byte >= 65 && byte <= 90) out += String.fromCharCode(byte + 32);
    else if (byte === 0x2e) out += '\\.';
    else if (byte === 0x5c) out += '\\\\';
    else if (byte > 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\${String(byte).padStart(3, '0')}`;
  }
  return out;
}

function parseDns(buf: Buffer): Parsed | null {
  if (buf.length < 12) return null;
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  if (buf.readUInt16BE(4) < 1) return null;
  let off = 12;
  const labels: string[] = [];
  let jumps = 0;
  let end = -1;
  for (;;) {
    if (off >= buf.length) return null;
    const len = buf[off] ?? 0;
    if ((len & 0xc0) === 0xc0) {
      if (++jumps > 10 || off + 1 >= buf.length) return null;
      if (end < 0) end = off + 2;
      off = ((len & 0x3f) << 8) | (buf[off + 1] ?? 0);
      continue;
    }
    if (len === 0) {
      off += 1;
      break;
    }
    if (off + 1 + len > buf.length) return null;
    labels.push(presentation(buf.subarray(off + 1, off + 1 + len)));
    off += 1 + len;
  }
  const qOff = end >= 0 ? end : off;
  if (qOff + 4 > buf.length) return null;
  return {
    id,
    qr: (flags & 0x8000) !== 0,
    rcode: flags & 0x0f,
    qname: labels.join('.'),
    qtype: buf.readUInt16BE(qOff),
    answers: buf.readUInt16BE(6),
  };
}

/**
 * Every query (QR=0 to port 53) as a forwarded tier-3 event of agent = client IP, rcode from the
 * response src/pcap's pairing matched to it (SERVFAIL when the capture holds none). The decision is an
 * audit-mode `would-deny`: forwarded, as in the capture, but on no allowlist (what the per-agent rules over
 * domains an agent may not reach, such as domain-spread, look at).
 */
export async function captureEvents(file: string): Promise<QueryEvent[]> {
  const events: QueryEvent[] = [];
  for await (const pair of pairDns(readCapture(file).records)) {
    if (pair.kind !== 'exchange' || !pair.query || pair.query.dstPort !== 53) continue;
    const p = parseDns(pair.query.payload);
    if (p === null || p.qr) continue;
    events.push(toEvent(pair.query, p, pair.response));
  }
  return events;
}

function toEvent(m: CapturedDns, p: Parsed, response: CapturedDns | undefined): QueryEvent {
  const r = response ? parseDns(response.payload) : null;
  return {
    ts: Math.round(m.ts),
    transport: m.transport,
    clientIp: m.srcIp,
    clientPort: m.srcPort,
    agentId: m.srcIp,
    group: 'eval',
    tier: 3,
    qname: p.qname,
    qtype: QTYPES[p.qtype] ?? `TYPE${p.qtype}`,
    decision: 'would-deny',
    reason: 'eval',
    ruleId: 'eval',
    rcode: r ? (RCODES[r.rcode] ?? `RCODE${r.rcode}`) : 'SERVFAIL',
    upstream: '127.0.0.1:53',
    cached: false,
    answeredBy: r ? 'upstream' : 'listener',
    latencyUs: 0,
    reqBytes: m.payload.length,
    respBytes: r ? (response?.payload.length ?? 0) : 0,
    answers: r?.answers ?? 0,
  };
}
