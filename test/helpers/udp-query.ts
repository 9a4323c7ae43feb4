// Send one DNS query over UDP from a chosen loopback source address and read the reply (null on timeout).
import { createSocket } from 'node:dgram';
import dnsPacket from 'dns-packet';
import { rcodeName } from '../../src/lib/dns-codes.js';

export interface UdpQueryOptions {
  readonly source?: string;
  readonly type?: dnsPacket.RecordType;
  readonly timeoutMs?: number;
}

export interface UdpReply {
  readonly rcode: string;
  readonly packet: dnsPacket.Packet;
}

export function udpQuery(
  port: number,
  name: string,
  options: UdpQueryOptions = {},
): Promise<UdpReply | null> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const done = (reply: UdpReply | null): void => {
      clearTimeout(timer);
      socket.close();
      resolve(reply);
    };
    const timer = setTimeout(() => done(null), options.timeoutMs ?? 1000);
    socket.on('message', (msg) =>
      done({ rcode: rcodeName(msg.readUInt16BE(2) & 0xf), packet: dnsPacket.decode(msg) }),
    );
    socket.bind(0, options.source ?? '127.0.0.1', () => {
      const query = dnsPacket.encode({
        type: 'query',
        id: Math.floor(Math.random() * 65536),
        flags: dnsPacket.RECURSION_DESIRED,
        questions: [{ name, type: options.type ?? 'A' }],
      });
      socket.send(query, port, '127.0.0.1');
    });
  });
}

/** Sends raw bytes (valid or not) to a loopback UDP port and returns the first datagram back, or null. */
export function udpExchange(port: number, payload: Buffer, waitMs = 1000): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      resolve(null);
    }, waitMs);
    socket.on('message', (msg) => {
      clearTimeout(timer);
      socket.close();
      resolve(msg);
    });
    socket.send(payload, port, '127.0.0.1');
  });
}
