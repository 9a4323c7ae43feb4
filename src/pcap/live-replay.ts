// `replay --live`: send a capture's queries to a running dnsward on loopback, at recorded or N× speed,
// from the captured client address when it is a loopback one (so agent attribution holds), and count answers.
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { HostPort } from '../config/host-port.js';
import { rcodeName } from '../lib/dns-codes.js';
import { DnswardError } from '../errors.js';
import { pairDns } from './dns-pairing.js';
import { readCapture } from './read-capture.js';

export interface LiveOptions {
  readonly target: HostPort;
  /** Multiple of the recorded pace; Infinity = as fast as answers come back (bounded in flight). */
  readonly speed: number;
  readonly ports?: ReadonlySet<number> | undefined;
  /** Answers still awaited this long after the last query are counted lost. */
  readonly drainMs?: number;
}

export interface LiveReport {
  readonly target: string;
  readonly sent: number;
  readonly answered: number;
  readonly lost: number;
  readonly rcodes: Record<string, number>;
  readonly seconds: number;
}

/**
 * Queries awaiting an answer at once. The batched engine answers a burst with one sendmmsg, so all of them can
 * land together; 64 answers fit a client socket's default receive buffer (~208 KiB) even at ~2 KiB of kernel
 * overhead each, where 256 overflowed it now and then and counted answers the kernel dropped as lost.
 */
const MAX_IN_FLIGHT = 64;

export function isLoopback(host: string): boolean {
  return host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export async function replayLive(paths: readonly string[], options: LiveOptions): Promise<LiveReport> {
  if (!isLoopback(options.target.host)) {
    throw new DnswardError(
      'DNSWARD_ERR_USAGE',
      `--live sends only to loopback (127.0.0.0/8, ::1), not ${options.target.host}`,
    );
  }
  const sockets = new Map<string, Socket>();
  const waiting = new Map<number, () => void>();
  const rcodes: Record<string, number> = {};
  let nextId = 0;
  let sent = 0;
  let answered = 0;
  const started = performance.now();
  const onMessage = (msg: Buffer): void => {
    if (msg.length < 4) return;
    const done = waiting.get(msg.readUInt16BE(0));
    if (!done) return;
    answered++;
    const rcode = rcodeName(msg.readUInt16BE(2) & 0xf);
    rcodes[rcode] = (rcodes[rcode] ?? 0) + 1;
    done();
  };
  const socketFor = async (client: string): Promise<Socket> => {
    const source =
      isLoopback(client) && isIPv6(client) === isIPv6(options.target.host)
        ? client
        : isIPv6(options.target.host)
          ? '::1'
          : '127.0.0.1';
    let socket = sockets.get(source);
    if (!socket) {
      const created = createSocket(isIPv6(source) ? 'udp6' : 'udp4');
      created.on('message', onMessage);
      created.on('error', () => undefined);
      await new Promise<void>((resolve) => created.bind(0, source, resolve));
      sockets.set(source, created);
      socket = created;
    }
    return socket;
  };
  try {
    for (const path of paths) {
      let firstTs = Number.NaN;
      const fileStart = performance.now();
      for await (const record of pairDns(
        readCapture(path, options.ports ? { ports: options.ports } : {}).records,
      )) {
        if (record.kind !== 'exchange' || !record.query || record.query.payload.length < 12) continue;
        const { query } = record;
        if (Number.isNaN(firstTs)) firstTs = query.ts;
        if (Number.isFinite(options.speed)) {
          const due = (query.ts - firstTs) / options.speed - (performance.now() - fileStart);
          if (due > 1) await sleep(due);
        }
        while (waiting.size >= MAX_IN_FLIGHT) await sleep(1);
        const id = nextId;
        nextId = (nextId + 1) & 0xffff;
        const payload = Buffer.from(query.payload);
        payload.writeUInt16BE(id, 0);
        const timer = setTimeout(() => waiting.delete(id), options.drainMs ?? 2000);
        waiting.set(id, () => {
          clearTimeout(timer);
          waiting.delete(id);
        });
        (await socketFor(query.srcIp)).send(payload, options.target.port, options.target.host);
        sent++;
      }
    }
    const deadline = performance.now() + (options.drainMs ?? 2000);
    while (waiting.size > 0 && performance.now() < deadline) await sleep(10);
  } finally {
    for (const socket of sockets.values()) socket.close();
  }
  return {
    target: `${options.target.host}:${options.target.port}`,
    sent,
    answered,
    lost: sent - answered,
    rcodes,
    seconds: Math.round(performance.now() - started) / 1000,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
