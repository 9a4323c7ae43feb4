// UDP listener: one socket per address, a large receive buffer so bursts are not lost in the kernel.
import { createSocket, type Socket } from 'node:dgram';
import type { UdpBuffers } from './udp-engine.js';
import { isIPv6 } from 'node:net';
import type { HostPort } from '../config/host-port.js';
import type { Client } from '../model/query.js';
import { literalLookup } from './literal-lookup.js';
import type { QueryPipeline, Reply } from './handle-query.js';

export class UdpListener {
  private constructor(
    private readonly socket: Socket,
    readonly port: number,
  ) {}

  static start(address: HostPort, pipeline: QueryPipeline, buffers: UdpBuffers): Promise<UdpListener> {
    const v6 = isIPv6(address.host);
    const socket = createSocket({
      type: v6 ? 'udp6' : 'udp4',
      ...(v6 ? { ipv6Only: true } : {}),
      recvBufferSize: buffers.recvBytes,
      ...(buffers.sendBytes !== null && { sendBufferSize: buffers.sendBytes }),
      lookup: literalLookup(v6 ? 6 : 4),
    });
    let open = true;
    const reply: Reply = (response: Buffer, client: Client) => {
      // answers still arriving from upstreams after close() have nowhere to go
      if (open) socket.send(response, client.port, client.address);
    };
    socket.once('close', () => (open = false));
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(address.port, address.host, () => {
        socket.off('error', reject);
        // send errors (e.g. ICMP unreachable on a closed client port) must not crash the server
        socket.on('error', () => undefined);
        socket.on('message', (msg, from) => {
          pipeline.handle(msg, { address: from.address, port: from.port, transport: 'udp' }, reply);
        });
        resolve(new UdpListener(socket, socket.address().port));
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
