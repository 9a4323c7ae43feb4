// Evaluation helper: turns a pcap/pcapng into QueryEvents via tshark (a stand-in until src/pcap lands).
import { execFileSync } from 'node:child_process';
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

interface Message {
  ts: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  transport: 'udp' | 'tcp';
  payload: Buffer;
}

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

function tshark(file: string): Message[] {
  const out = execFileSync(
    'tshark',
    [
      '-r',
      file,
      '-Y',
      'udp.port==53 || tcp.port==53',
      '-T',
      'fields',
      '-E',
      'separator=\t',
      '-e',
      'frame.time_epoch',
      '-e',
      'ip.src',
      '-e',
      'ipv6.src',
      '-e',
      'ip.dst',
      '-e',
      'ipv6.dst',
      '-e',
      'udp.srcport',
      '-e',
      'udp.dstport',
      '-e',
      'tcp.srcport',
      '-e',
      'tcp.dstport',
      '-e',
      'udp.payload',
      '-e',
      'tcp.payload',
    ],
    { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] },
  ).toString('utf8');
  const messages: Message[] = [];
  const streams = new Map<string, Buffer>();
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const [t, s4, s6, d4, d6, us, ud, ts, td, up, tp] = line.split('\t');
    const src = (s4 || s6 || '').split(',')[0] ?? '';
    const dst = (d4 || d6 || '').split(',')[0] ?? '';
    const time = Math.round(Number(t) * 1000);
    if (up) {
      messages.push({
        ts: time,
        src,
        dst,
        sport: Number(us),
        dport: Number(ud),
        transport: 'udp',
        payload: Buffer.from(up.replaceAll(':', ''), 'hex'),
      });
    } else if (tp) {
      const key = `${src}|${ts}|${dst}|${td}`;
      let buf = Buffer.concat([
        streams.get(key) ?? Buffer.alloc(0),
        Buffer.from(tp.replaceAll(':', ''), 'hex'),
      ]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        messages.push({
          ts: time,
          src,
          dst,
          sport: Number(ts),
          dport: Number(td),
          transport: 'tcp',
          payload: buf.subarray(2, 2 + len),
        });
        buf = buf.subarray(2 + len);
      }
      streams.set(key, buf);
    }
  }
  return messages;
}

/** Every query (QR=0 to port 53) as a forwarded tier-3 event of agent = client IP, rcode from its response. */
export function captureEvents(file: string): QueryEvent[] {
  const messages = tshark(file);
  const rcodes = new Map<string, { rcode: number; answers: number; bytes: number }>();
  const queries: { m: Message; p: Parsed }[] = [];
  for (const m of messages) {
    const p = parseDns(m.payload);
    if (p === null) continue;
    if (!p.qr && m.dport === 53) queries.push({ m, p });
    else if (p.qr && m.sport === 53) {
      const key = `${m.dst}|${m.dport}|${p.id}|${p.qname}`;
      if (!rcodes.has(key)) rcodes.set(key, { rcode: p.rcode, answers: p.answers, bytes: m.payload.length });
    }
  }
  return queries.map(({ m, p }) => {
    const r = rcodes.get(`${m.src}|${m.sport}|${p.id}|${p.qname}`);
    return {
      ts: m.ts,
      transport: m.transport,
      clientIp: m.src,
      clientPort: m.sport,
      agentId: m.src,
      group: 'eval',
      tier: 3,
      qname: p.qname,
      qtype: QTYPES[p.qtype] ?? `TYPE${p.qtype}`,
      decision: 'allow',
      reason: 'eval',
      ruleId: 'eval',
      rcode: r ? (RCODES[r.rcode] ?? `RCODE${r.rcode}`) : 'SERVFAIL',
      upstream: '127.0.0.1:53',
      cached: false,
      answeredBy: r ? 'upstream' : 'listener',
      latencyUs: 0,
      reqBytes: m.payload.length,
      respBytes: r?.bytes ?? 0,
      answers: r?.answers ?? 0,
    } satisfies QueryEvent;
  });
}
