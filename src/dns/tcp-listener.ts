// TCP listener (RFC 7766): 2-byte length framing, pipelined queries answered as they complete,
// idle timeout, a cap on connections and on queries in flight per connection.
import { createServer, type Server, type Socket } from 'node:net';
import type { HostPort } from '../config/host-port.js';
import type { Client } from '../model/query.js';
import type { QueryPipeline, Reply } from './handle-query.js';

export interface TcpLimits {
  readonly idleTimeoutMs: number;
  readonly maxConnections: number;
  readonly maxInflight: number;
}

export class TcpListener {
  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly sockets: Set<Socket>,
  ) {}

  static start(address: HostPort, pipeline: QueryPipeline, limits: TcpLimits): Promise<TcpListener> {
    const sockets = new Set<Socket>();
    const server = createServer({ noDelay: true }, (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      serveConnection(socket, pipeline, limits);
    });
    server.maxConnections = limits.maxConnections;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: address.port, host: address.host, ipv6Only: true }, () => {
        server.off('error', reject);
        server.on('error', () => undefined);
        const bound = server.address();
        resolve(
          new TcpListener(server, typeof bound === 'object' && bound ? bound.port : address.port, sockets),
        );
      });
    });
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Replies queued for a client that does not read, before its connection is dropped. */
const MAX_UNREAD_REPLY_BYTES = 1024 * 1024;

function serveConnection(socket: Socket, pipeline: QueryPipeline, limits: TcpLimits): void {
  const client: Client = {
    address: socket.remoteAddress ?? '',
    port: socket.remotePort ?? 0,
    transport: 'tcp',
  };
  let pending: Buffer = Buffer.alloc(0);
  let inflight = 0;
  // the idle clock restarts on complete queries only: a client trickling bytes (slowloris) still times out
  const idle = setTimeout(() => socket.destroy(), limits.idleTimeoutMs);
  socket.on('close', () => clearTimeout(idle));
  socket.on('error', () => socket.destroy());
  const readMore = (): void => {
    if (socket.isPaused() && inflight < limits.maxInflight && !socket.writableNeedDrain) socket.resume();
  };
  socket.on('drain', readMore);
  const reply: Reply = (response) => {
    inflight--;
    if (socket.destroyed) return;
    const frame = Buffer.allocUnsafe(2 + response.length);
    frame.writeUInt16BE(response.length, 0);
    response.copy(frame, 2);
    idle.refresh();
    // backpressure: a client that does not read its answers stops being read, then is dropped
    if (!socket.write(frame) && socket.writableLength > MAX_UNREAD_REPLY_BYTES) socket.destroy();
    else readMore();
  };
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 2) {
      const length = pending.readUInt16BE(0);
      if (length === 0) {
        // a zero-length frame cannot be a DNS message: count it and drop the connection
        pipeline.counters.dropped++;
        socket.destroy();
        return;
      }
      if (pending.length < 2 + length) break;
      const msg = Buffer.from(pending.subarray(2, 2 + length));
      pending = pending.subarray(2 + length);
      idle.refresh();
      inflight++;
      const before = pipeline.counters.dropped;
      pipeline.handle(msg, client, reply);
      if (pipeline.counters.dropped !== before) inflight--; // dropped messages get no reply
    }
    if (inflight >= limits.maxInflight || socket.writableNeedDrain) socket.pause();
  });
}
