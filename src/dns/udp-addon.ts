// The batched UDP addon (native/udp_batch.c, built by node-gyp at install): its typed surface and its loading.
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** Indexes into the stats Float64Array the addon writes (udp_batch.c's ST_* enum, same order). */
export const UDP_STAT = {
  received: 0,
  sent: 1,
  queuedNow: 2,
  queuedTotal: 3,
  queueDropped: 4,
  sendErrors: 5,
  recvErrors: 6,
  truncated: 7,
  batches: 8,
} as const;
export const UDP_STAT_COUNT = 9;
/** Bytes per address in rxAddr/txAddr (IPv4 uses the first 4). */
export const ADDR_BYTES = 16;
/** rxFlags bit: the datagram was larger than its slot (the bytes are cut; the caller drops it). */
export const RX_TRUNCATED = 1;

export interface UdpBatchOptions {
  readonly family: 4 | 6;
  readonly host: string;
  readonly port: number;
  readonly recvBufferBytes: number;
  /** SO_SNDBUF; 0 leaves the kernel's default. */
  readonly sendBufferBytes: number;
  /** Bytes per receive slot; a bigger datagram is flagged RX_TRUNCATED. */
  readonly slot: number;
  /** Datagrams per recvmmsg. */
  readonly batch: number;
  /** Entries per send(). */
  readonly txCap: number;
  /** Answers the kernel refused (EAGAIN) kept for a writable socket; beyond it they are counted as dropped. */
  readonly queueLimit: number;
  readonly rxBuf: Uint8Array;
  readonly rxLen: Uint32Array;
  readonly rxAddr: Uint8Array;
  readonly rxPort: Uint16Array;
  readonly rxFlags: Uint8Array;
  readonly txBuf: Uint8Array;
  readonly txOff: Uint32Array;
  readonly txLen: Uint32Array;
  readonly txAddr: Uint8Array;
  readonly txPort: Uint16Array;
  readonly stats: Float64Array;
  /** Called with the number of datagrams now in the rx arrays; they are overwritten after it returns. */
  readonly onBatch: (count: number) => void;
}

declare const handleBrand: unique symbol;
export interface UdpBatchHandle {
  readonly [handleBrand]: true;
}

export interface UdpAddon {
  open(options: UdpBatchOptions): [UdpBatchHandle, number];
  /** Sends tx entries 0..count-1; returns how many the kernel took now (the rest are queued). */
  send(handle: UdpBatchHandle, count: number): number;
  close(handle: UdpBatchHandle): void;
}

/** Where node-gyp puts the build (binding.gyp at the repository root). */
export const UDP_ADDON_PATH = join(import.meta.dirname, '..', '..', 'build', 'Release', 'udp_batch.node');

/** Loads the addon; throws when it is not built, is not for this platform or does not load in this Node. */
export function loadUdpAddon(path = UDP_ADDON_PATH): UdpAddon {
  if (process.platform !== 'linux') throw new Error(`batched UDP needs Linux (this is ${process.platform})`);
  const require = createRequire(import.meta.url);
  return require(path) as UdpAddon;
}
