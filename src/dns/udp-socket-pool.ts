// Outgoing UDP sockets for upstream queries: a pool of sockets on random ephemeral ports, each retired after a
// few hundred queries. A socket per query (the most source-port entropy) costs a socket, a bind and a close
// per cache miss; the pool keeps most of the entropy — random ID x random pool port, ports renewed
// continuously — at a fraction of the cost.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { HostPort } from '../config/host-port.js';
import { literalLookup } from './literal-lookup.js';
import { randomQueryId } from './random-id.js';

/** Sees every datagram that arrives for its ID; returns true when it accepted the answer. */
export type ReplyHandler = (reply: Buffer, from: RemoteInfo) => boolean;

interface PooledSocket {
  readonly socket: Socket;
  readonly pending: Map<number, ReplyHandler>;
  uses: number;
}

export interface PoolStats {
  /** Datagrams for no pending ID on that socket (late, duplicate or forged). */
  unmatched: number;
  socketsOpened: number;
}

export class UdpSocketPool {
  private readonly slots: (PooledSocket | undefined)[];
  readonly stats: PoolStats = { unmatched: 0, socketsOpened: 0 };

  constructor(
    private readonly type: 'udp4' | 'udp6',
    size = 32,
    private readonly maxUses = 256,
  ) {
    this.slots = new Array<PooledSocket | undefined>(size).fill(undefined);
  }

  /** Sends `query` (its ID is overwritten with a fresh random one) and returns a function that cancels the wait. */
  send(server: HostPort, query: Buffer, onReply: ReplyHandler): () => void {
    const index = randomQueryId() % this.slots.length;
    const pooled = this.socketAt(index);
    let id = randomQueryId();
    while (pooled.pending.has(id)) id = randomQueryId();
    query.writeUInt16BE(id, 0);
    pooled.pending.set(id, onReply);
    pooled.uses++;
    // retire the port: later queries get a fresh socket in this slot, this one closes once its answers are in
    if (pooled.uses >= this.maxUses) this.slots[index] = undefined;
    pooled.socket.send(query, server.port, server.host);
    return () => this.forget(pooled, id);
  }

  close(): void {
    for (const pooled of this.slots) pooled?.socket.close();
    this.slots.fill(undefined);
  }

  private socketAt(index: number): PooledSocket {
    const existing = this.slots[index];
    if (existing) return existing;
    // unbound: the first send binds it to a random ephemeral port chosen by the OS
    const socket = createSocket({ type: this.type, lookup: literalLookup(this.type === 'udp6' ? 6 : 4) });
    const pooled: PooledSocket = { socket, pending: new Map(), uses: 0 };
    socket.on('error', () => undefined);
    socket.on('message', (reply, from) => {
      const handler = reply.length >= 2 ? pooled.pending.get(reply.readUInt16BE(0)) : undefined;
      if (!handler) {
        this.stats.unmatched++;
        return;
      }
      if (handler(reply, from)) this.forget(pooled, reply.readUInt16BE(0));
    });
    socket.unref();
    this.stats.socketsOpened++;
    this.slots[index] = pooled;
    return pooled;
  }

  private forget(pooled: PooledSocket, id: number): void {
    pooled.pending.delete(id);
    if (pooled.pending.size === 0 && pooled.uses >= this.maxUses) pooled.socket.close();
  }
}
