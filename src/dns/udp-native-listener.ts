// UDP listener on the batched addon: one recvmmsg hands a batch to the pipeline, its answers leave in one sendmmsg.
import { isIPv6 } from 'node:net';
import type { HostPort } from '../config/host-port.js';
import type { Family } from '../lib/cidr.js';
import { formatIp, writeIp } from '../lib/ip-bytes.js';
import type { UdpBatchedCounters } from '../metrics/registry.js';
import type { Client } from '../model/query.js';
import type { QueryPipeline, Reply } from './handle-query.js';
import {
  ADDR_BYTES,
  RX_TRUNCATED,
  UDP_STAT,
  UDP_STAT_COUNT,
  type UdpAddon,
  type UdpBatchHandle,
} from './udp-addon.js';
import type { UdpBuffers } from './udp-engine.js';

/** Datagrams per recvmmsg, and bytes per receive slot (a bigger query is dropped and counted). */
const BATCH = 64;
const SLOT = 4096;
/** Answers per sendmmsg and the arena they are copied into (any UDP answer fits, 65,535 bytes at most). */
const TX_CAP = 256;
const TX_ARENA = 256 * 1024;
/** Answers held while the kernel pushes back (EAGAIN); more than this are dropped and counted. */
const QUEUE_LIMIT = 65_536;
/** At most one "answers dropped" warning per this many ms. */
const DROP_LOG_MS = 1000;
/** Client address strings kept per IPv4 source address (cleared when full). */
const ADDRESS_CACHE = 4096;

/** The client of one datagram, with its source address as bytes for the answer. */
class UdpClient implements Client {
  readonly transport = 'udp';
  constructor(
    readonly address: string,
    readonly port: number,
    /** IPv4: the address as an unsigned 32-bit number. */
    readonly raw4: number,
    /** IPv6: the 16 address bytes. */
    readonly raw6: Uint8Array | null,
  ) {}
}

/** The addon's counters (defined with the metrics that export them); queueDropped is logged by the owner too. */
export type NativeUdpStats = UdpBatchedCounters;

export type DropWarning = (fields: { dropped: number; total: number }, message: string) => void;

export class NativeUdpListener {
  private readonly rxBuf = Buffer.allocUnsafeSlow(BATCH * SLOT);
  private readonly rxLen = new Uint32Array(BATCH);
  private readonly rxAddr = new Uint8Array(BATCH * ADDR_BYTES);
  private readonly rxPort = new Uint16Array(BATCH);
  private readonly rxFlags = new Uint8Array(BATCH);
  private readonly txBuf = Buffer.allocUnsafeSlow(TX_ARENA);
  private readonly txOff = new Uint32Array(TX_CAP);
  private readonly txLen = new Uint32Array(TX_CAP);
  private readonly txAddr = new Uint8Array(TX_CAP * ADDR_BYTES);
  private readonly txPort = new Uint16Array(TX_CAP);
  private readonly rawStats = new Float64Array(UDP_STAT_COUNT);
  private readonly addresses = new Map<number, string>();
  private handle: UdpBatchHandle | null = null;
  private txCount = 0;
  private txUsed = 0;
  private dispatching = false;
  private flushScheduled = false;
  private droppedLogged = 0;
  private droppedLoggedAt = 0;
  port = 0;

  private constructor(
    private readonly addon: UdpAddon,
    private readonly pipeline: QueryPipeline,
    private readonly family: Family,
    private readonly warn: DropWarning,
  ) {}

  static start(
    addon: UdpAddon,
    address: HostPort,
    pipeline: QueryPipeline,
    buffers: UdpBuffers,
    warn: DropWarning,
  ): Promise<NativeUdpListener> {
    const listener = new NativeUdpListener(addon, pipeline, isIPv6(address.host) ? 6 : 4, warn);
    try {
      listener.open(address, buffers);
      return Promise.resolve(listener);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  get stats(): NativeUdpStats {
    const s = this.rawStats;
    return {
      received: s[UDP_STAT.received] ?? 0,
      sent: s[UDP_STAT.sent] ?? 0,
      queuedNow: s[UDP_STAT.queuedNow] ?? 0,
      queuedTotal: s[UDP_STAT.queuedTotal] ?? 0,
      queueDropped: s[UDP_STAT.queueDropped] ?? 0,
      sendErrors: s[UDP_STAT.sendErrors] ?? 0,
      truncated: s[UDP_STAT.truncated] ?? 0,
      batches: s[UDP_STAT.batches] ?? 0,
    };
  }

  close(): Promise<void> {
    const handle = this.handle;
    if (handle) {
      this.flush();
      this.handle = null;
      this.addon.close(handle);
    }
    // libuv closes the descriptor in this turn's close phase; timers run after it
    return new Promise((resolve) => setTimeout(resolve, 0));
  }

  private open(address: HostPort, buffers: UdpBuffers): void {
    const [handle, port] = this.addon.open({
      family: this.family,
      host: address.host,
      port: address.port,
      recvBufferBytes: buffers.recvBytes,
      sendBufferBytes: buffers.sendBytes ?? 0,
      slot: SLOT,
      batch: BATCH,
      txCap: TX_CAP,
      queueLimit: QUEUE_LIMIT,
      rxBuf: this.rxBuf,
      rxLen: this.rxLen,
      rxAddr: this.rxAddr,
      rxPort: this.rxPort,
      rxFlags: this.rxFlags,
      txBuf: this.txBuf,
      txOff: this.txOff,
      txLen: this.txLen,
      txAddr: this.txAddr,
      txPort: this.txPort,
      stats: this.rawStats,
      onBatch: (count) => this.onBatch(count),
    });
    this.handle = handle;
    this.port = port;
  }

  private onBatch(count: number): void {
    this.dispatching = true;
    // one recvmmsg: every datagram of the batch arrived by now
    const arrived = performance.now();
    const ts = Date.now();
    try {
      for (let i = 0; i < count; i++) {
        const length = this.rxLen[i] ?? 0;
        const port = this.rxPort[i] ?? 0;
        if (((this.rxFlags[i] ?? 0) & RX_TRUNCATED) !== 0 || port === 0) {
          this.pipeline.counters.dropped++;
          continue;
        }
        // a copy: the pipeline keeps the question while an upstream answers, the slot is reused next batch
        const start = i * SLOT;
        const msg = Buffer.allocUnsafe(length);
        this.rxBuf.copy(msg, 0, start, start + length);
        this.pipeline.handle(msg, this.client(i, port), this.reply, arrived, ts);
      }
    } finally {
      this.dispatching = false;
      this.flush();
    }
  }

  private client(i: number, port: number): UdpClient {
    const at = i * ADDR_BYTES;
    if (this.family === 6) {
      const raw = this.rxAddr.slice(at, at + 16);
      return new UdpClient(formatIp(raw, 0, 6), port, 0, raw);
    }
    const a = this.rxAddr;
    const key =
      (((a[at] ?? 0) << 24) | ((a[at + 1] ?? 0) << 16) | ((a[at + 2] ?? 0) << 8) | (a[at + 3] ?? 0)) >>> 0;
    let address = this.addresses.get(key);
    if (address === undefined) {
      if (this.addresses.size >= ADDRESS_CACHE) this.addresses.clear();
      address = formatIp(a, at, 4);
      this.addresses.set(key, address);
    }
    return new UdpClient(address, port, key, null);
  }

  /** Copies the answer into the send arena; the batch (or, for upstream answers, the turn) sends them together. */
  private readonly reply: Reply = (response, client) => {
    // answers still arriving from upstreams after close() have nowhere to go
    if (!this.handle || response.length === 0 || response.length > TX_ARENA) return;
    if (this.txCount === TX_CAP || this.txUsed + response.length > TX_ARENA) this.flush();
    const i = this.txCount;
    const at = i * ADDR_BYTES;
    if (client instanceof UdpClient) {
      if (client.raw6) this.txAddr.set(client.raw6, at);
      else {
        const v = client.raw4;
        this.txAddr[at] = v >>> 24;
        this.txAddr[at + 1] = (v >>> 16) & 0xff;
        this.txAddr[at + 2] = (v >>> 8) & 0xff;
        this.txAddr[at + 3] = v & 0xff;
      }
    } else if (!writeIp(client.address, this.family, this.txAddr, at)) return;
    response.copy(this.txBuf, this.txUsed);
    this.txOff[i] = this.txUsed;
    this.txLen[i] = response.length;
    this.txPort[i] = client.port;
    this.txUsed += response.length;
    this.txCount++;
    if (!this.dispatching && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
  };

  private flush(): void {
    if (this.txCount === 0 || !this.handle) return;
    const count = this.txCount;
    this.txCount = 0;
    this.txUsed = 0;
    this.addon.send(this.handle, count);
    const dropped = this.rawStats[UDP_STAT.queueDropped] ?? 0;
    if (dropped > this.droppedLogged && performance.now() - this.droppedLoggedAt >= DROP_LOG_MS) {
      this.warn(
        { dropped: dropped - this.droppedLogged, total: dropped },
        'UDP send queue full (the kernel refused answers for too long): answers dropped',
      );
      this.droppedLogged = dropped;
      this.droppedLoggedAt = performance.now();
    }
  }
}
