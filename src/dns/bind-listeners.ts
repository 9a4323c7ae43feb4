// Bind every UDP and TCP listen address; with port 0 (tests) the TCP listener takes the port its UDP twin got.
import type { HostPort } from '../config/host-port.js';
import { DnswardError } from '../errors.js';
import type { QueryPipeline } from './handle-query.js';
import { TcpListener, type TcpLimits } from './tcp-listener.js';
import type { UdpBuffers, UdpEngine } from './udp-engine.js';
import { UdpListener } from './udp-listener.js';
import { NativeUdpListener, type DropWarning, type NativeUdpStats } from './udp-native-listener.js';

export interface BindOptions {
  readonly udpBuffers: UdpBuffers;
  readonly tcp: TcpLimits;
  /** dgram, or the batched addon (udp-engine.ts chooses). */
  readonly udpEngine: UdpEngine;
  /** Told when the native engine had to drop answers (its retry queue was full). */
  readonly udpDropWarning: DropWarning;
}

/** A bound UDP listener of either engine. */
export interface BoundUdp {
  readonly port: number;
  /** The batched engine's counters (the dgram engine has none). */
  readonly stats?: NativeUdpStats;
  close(): Promise<void>;
}

function startUdp(address: HostPort, pipeline: QueryPipeline, options: BindOptions): Promise<BoundUdp> {
  const engine = options.udpEngine;
  return engine.kind === 'native'
    ? NativeUdpListener.start(engine.addon, address, pipeline, options.udpBuffers, options.udpDropWarning)
    : UdpListener.start(address, pipeline, options.udpBuffers);
}

/** The batched engine's counters summed over `udp`; undefined when no listener runs on it. */
export function sumNativeStats(udp: readonly BoundUdp[]): NativeUdpStats | undefined {
  let sum: Record<keyof NativeUdpStats, number> | undefined;
  for (const { stats } of udp) {
    if (!stats) continue;
    if (!sum) sum = { ...stats };
    else for (const key of Object.keys(sum) as (keyof NativeUdpStats)[]) sum[key] += stats[key];
  }
  return sum;
}

/** Binds every address; a TCP port 0 next to a UDP port 0 on the same host gets the UDP's port (tests use port 0). */
export async function bindListeners(
  udpAddresses: readonly HostPort[],
  tcpAddresses: readonly HostPort[],
  pipeline: QueryPipeline,
  options: BindOptions,
): Promise<{ udp: BoundUdp[]; tcp: TcpListener[] }> {
  for (let attempt = 0; ; attempt++) {
    const udp: BoundUdp[] = [];
    const tcp: TcpListener[] = [];
    try {
      for (const address of udpAddresses) udp.push(await startUdp(address, pipeline, options));
      for (const address of tcpAddresses) {
        const twin =
          address.port === 0 ? udpAddresses.findIndex((u) => u.host === address.host && u.port === 0) : -1;
        const port = twin >= 0 ? (udp[twin]?.port ?? 0) : address.port;
        tcp.push(await TcpListener.start({ host: address.host, port }, pipeline, options.tcp));
      }
      return { udp, tcp };
    } catch (error) {
      await Promise.all([...udp, ...tcp].map((l) => l.close()));
      const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
      if (!inUse || attempt >= 10 || !udpAddresses.some((a) => a.port === 0)) {
        throw new DnswardError('DNSWARD_ERR_LISTEN', `cannot listen: ${(error as Error).message}`, [], {
          cause: error,
        });
      }
    }
  }
}
