// TCP listener (RFC 7766): 2-byte length framing, pipelined queries answered as they complete,
// idle timeout, caps on connections (in all and per client, evicting the idlest) and on queries in flight.
import { createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { HostPort } from '../config/host-port.js';
import type { Client } from '../model/query.js';
import type { QueryPipeline, Reply } from './handle-query.js';
import { TcpConnections, type TrackedConnection } from './tcp-connections.js';

export interface TcpLimits {
  readonly idleTimeoutMs: number;
  readonly maxConnections: number;
  /** Connections one client address may hold; its next one evicts its idlest (default: no own cap). */
  readonly maxConnectionsPerClient?: number;
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
    const table = new TcpConnections<TrackedConnection>(
      limits.maxConnections,
      limits.maxConnectionsPerClient ?? limits.maxConnections,
    );
    const server = createServer({ noDelay: true }, (socket) => {
      sockets.add(socket);
      const address = socket.remoteAddress ?? '';
      const tracked = serveConnection(socket, pipeline, limits);
      socket.on('close', () => {
        sockets.delete(socket);
        table.remove(address, tracked);
      });
      // over a cap, the idlest connection of this client (or of the client holding most) makes room
      table.add(address, tracked);
    });
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

function serveConnection(socket: Socket, pipeline: QueryPipeline, limits: TcpLimits): TrackedConnection {
  const client: Client = {
    address: socket.remoteAddress ?? '',
    port: socket.remotePort ?? 0,
    transport: 'tcp',
  };
  const tracked: TrackedConnection = {
    lastActive: performance.now(),
    inflight: 0,
    close: () => socket.destroy(),
  };
  const frames = new FrameReader();
  // the idle clock restarts on complete queries only: a client trickling bytes (slowloris) still times out
  const idle = setTimeout(() => socket.destroy(), limits.idleTimeoutMs);
  const active = (): void => {
    idle.refresh();
    tracked.lastActive = performance.now();
  };
  socket.on('close', () => clearTimeout(idle));
  socket.on('error', () => socket.destroy());
  const readMore = (): void => {
    if (socket.isPaused() && tracked.inflight < limits.maxInflight && !socket.writableNeedDrain)
      socket.resume();
  };
  socket.on('drain', readMore);
  const reply: Reply = (response) => {
    tracked.inflight--;
    if (socket.destroyed) return;
    const frame = Buffer.allocUnsafe(2 + response.length);
    frame.writeUInt16BE(response.length, 0);
    response.copy(frame, 2);
    active();
    // backpressure: a client that does not read its answers stops being read, then is dropped
    if (!socket.write(frame) && socket.writableLength > MAX_UNREAD_REPLY_BYTES) socket.destroy();
    else readMore();
  };
  socket.on('data', (chunk: Buffer) => {
    for (const msg of frames.push(chunk)) {
      if (msg === null) {
        // a zero-length frame cannot be a DNS message: count it and drop the connection
        pipeline.counters.dropped++;
        socket.destroy();
        return;
      }
      active();
      tracked.inflight++;
      const { counters } = pipeline;
      const before = counters.dropped + counters.rateLimitDrops;
      pipeline.handle(msg, client, reply);
      // unreadable and rate-limit-dropped messages get no reply: they are not in flight (a leak stalls the socket)
      if (counters.dropped + counters.rateLimitDrops !== before) tracked.inflight--;
    }
    if (tracked.inflight >= limits.maxInflight || socket.writableNeedDrain) socket.pause();
  });
  return tracked;
}

/**
 * RFC 7766 framing: each message behind a 2-byte length. Once a frame's length is known its buffer is allocated
 * once and filled as bytes arrive, so a frame trickled a byte at a time costs linear, not quadratic, copying.
 */
export class FrameReader {
  private header: number | null = null;
  private frame: Buffer | null = null;
  private filled = 0;

  /** The complete messages in `chunk` (with what came before); null for a zero-length frame. */
  *push(chunk: Buffer): Generator<Buffer | null> {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.frame === null) {
        const byte = chunk[offset++] ?? 0;
        if (this.header === null) {
          this.header = byte;
          continue;
        }
        const length = (this.header << 8) | byte;
        this.header = null;
        if (length === 0) {
          yield null;
          return;
        }
        this.frame = Buffer.allocUnsafe(length);
        this.filled = 0;
      }
      const copied = chunk.copy(this.frame, this.filled, offset);
      this.filled += copied;
      offset += copied;
      if (this.filled === this.frame.length) {
        const done = this.frame;
        this.frame = null;
        yield done;
      }
    }
  }
}
