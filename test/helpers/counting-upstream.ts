// A UDP upstream that keeps every datagram it receives, raw, and answers the well-formed ones (A 192.0.2.53):
// what a resolver under test forwards is checked byte by byte afterwards.
import { createSocket } from 'node:dgram';
import dnsPacket from 'dns-packet';

export interface CountingUpstream {
  readonly port: number;
  readonly received: Buffer[];
  readonly close: () => Promise<void>;
}

export async function startCountingUpstream(): Promise<CountingUpstream> {
  const socket = createSocket('udp4');
  const received: Buffer[] = [];
  socket.on('error', () => undefined);
  socket.on('message', (raw, from) => {
    received.push(Buffer.from(raw));
    let query: dnsPacket.Packet;
    try {
      query = dnsPacket.decode(raw);
    } catch {
      return; // recorded; the test reports it
    }
    const question = query.questions?.[0];
    if (!question) return;
    const response = dnsPacket.encode({
      type: 'response',
      id: query.id ?? 0,
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
      questions: [question],
      answers:
        question.type === 'A'
          ? [{ name: question.name, type: 'A', class: 'IN', ttl: 60, data: '192.0.2.53' }]
          : [],
      authorities:
        question.type === 'A'
          ? []
          : [
              {
                name: question.name.split('.').slice(-2).join('.'),
                type: 'SOA',
                class: 'IN',
                ttl: 60,
                data: {
                  mname: 'ns.invalid',
                  rname: 'hostmaster.invalid',
                  serial: 1,
                  refresh: 3600,
                  retry: 600,
                  expire: 86400,
                  minimum: 60,
                },
              },
            ],
    });
    socket.send(response, from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    port: socket.address().port,
    received,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/**
 * Why `raw` is not a well-formed forwarded query, or null: exactly one question, no answer/authority records,
 * at most one additional record and that an OPT without options (client options are not forwarded), nothing
 * after the last record, every label ≤ 63 printable bytes, the name ≤ 255 bytes and under `zone`.
 */
export function forwardedQueryProblem(raw: Buffer, zone: string): string | null {
  if (raw.length < 12) return 'shorter than a header';
  const flags = raw.readUInt16BE(2);
  if (flags & 0x8000) return 'QR set';
  if ((flags >> 11) & 0xf) return 'opcode not QUERY';
  if (raw.readUInt16BE(4) !== 1) return 'qdcount is not 1';
  if (raw.readUInt16BE(6) !== 0 || raw.readUInt16BE(8) !== 0) return 'answer or authority records';
  const arcount = raw.readUInt16BE(10);
  if (arcount > 1) return 'more than one additional record';
  let offset = 12;
  const labels: string[] = [];
  let nameBytes = 1;
  for (;;) {
    const length = raw[offset];
    if (length === undefined) return 'name runs past the end';
    if (length === 0) break;
    if (length > 63) return `label length byte ${length}`;
    for (let i = offset + 1; i <= offset + length; i++) {
      const byte = raw[i] ?? 0;
      // bytes that print as \DDD: no hostname holds them, and the policy denies such names
      if (byte <= 0x20 || byte >= 0x7f) return `label byte 0x${byte.toString(16)}`;
    }
    nameBytes += length + 1;
    labels.push(raw.toString('latin1', offset + 1, offset + 1 + length).toLowerCase());
    offset += length + 1;
  }
  offset++;
  if (nameBytes > 255) return `name of ${nameBytes} bytes`;
  const name = labels.join('.');
  if (name !== zone && !name.endsWith(`.${zone}`)) return `name ${name} outside ${zone}`;
  if (offset + 4 > raw.length) return 'question truncated';
  if (raw.readUInt16BE(offset + 2) !== 1) return 'class is not IN';
  offset += 4;
  if (arcount === 1) {
    if (raw[offset] !== 0) return 'OPT owner is not the root';
    if (offset + 11 > raw.length || raw.readUInt16BE(offset + 1) !== 41)
      return 'additional record is not OPT';
    if (raw.readUInt16BE(offset + 9) !== 0) return 'OPT carries options';
    offset += 11;
  }
  if (offset !== raw.length) return `${raw.length - offset} bytes after the last record`;
  return null;
}
