// A fast, exact UDP load generator: several sockets, each bound to its own loopback source address (one
// agent each), a bounded window of queries in flight per socket, and a record of which query got which rcode.
// Unlike dnsperf it needs no install and tells exactly which queries were answered.
import { createSocket, type Socket } from 'node:dgram';

export interface LoadStream {
  /** Source address, e.g. "127.0.0.2": how the server tells the agents apart. */
  readonly source: string;
  readonly count: number;
  /** Query name of the i-th query of this stream. */
  readonly name: (i: number) => string;
  /** Defaults to A. */
  readonly qtype?: number;
}

export interface LoadOptions {
  readonly port: number;
  readonly streams: readonly LoadStream[];
  /** Queries in flight per stream. Default 128. */
  readonly window?: number;
  /** A query unanswered this long is given up as lost. Default 3000 ms. */
  readonly timeoutMs?: number;
  /** Hard limit for the whole run; what is unanswered by then is lost. Default 120 s. */
  readonly deadlineMs?: number;
  /** Stop sending new queries when this returns true (checked every 50 ms). */
  readonly stopWhen?: () => boolean;
}

export interface StreamResult {
  readonly source: string;
  sent: number;
  answered: number;
  lost: number;
  /** Per query: 0 = unanswered, else rcode + 1. */
  readonly rcodes: Uint8Array;
}

export interface LoadResult {
  readonly streams: readonly StreamResult[];
  readonly seconds: number;
  /** Answered queries per second over the run. */
  readonly qps: number;
}

/** Encodes a standard query (RD set, one question, class IN) without allocations beyond the buffer. */
export function encodeQuery(id: number, name: string, qtype = 1): Buffer {
  const out = Buffer.allocUnsafe(12 + name.length + 2 + 4);
  out.writeUInt16BE(id, 0);
  out.writeUInt16BE(0x0100, 2);
  out.writeUInt16BE(1, 4);
  out.writeUInt32BE(0, 6);
  out.writeUInt16BE(0, 10);
  let offset = 12;
  for (const label of name.split('.')) {
    out[offset++] = label.length;
    offset += out.write(label, offset, 'latin1');
  }
  out[offset++] = 0;
  out.writeUInt16BE(qtype, offset);
  out.writeUInt16BE(1, offset + 2);
  return out.subarray(0, offset + 4);
}

export async function sendLoad(options: LoadOptions): Promise<LoadResult> {
  const window = options.window ?? 128;
  const timeoutMs = options.timeoutMs ?? 3000;
  const started = performance.now();
  const sockets: Socket[] = [];
  const results: StreamResult[] = [];
  try {
    const runs = await Promise.all(
      options.streams.map(async (stream) => {
        const socket = createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
        sockets.push(socket);
        socket.on('error', () => undefined);
        await new Promise<void>((resolve) => socket.bind(0, stream.source, resolve));
        const result: StreamResult = {
          source: stream.source,
          sent: 0,
          answered: 0,
          lost: 0,
          rcodes: new Uint8Array(stream.count),
        };
        results.push(result);
        return runStream(socket, stream, result, options.port, window, timeoutMs, options.stopWhen);
      }),
    );
    const deadline = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, options.deadlineMs ?? 120_000);
      void Promise.all(runs.map((r) => r.done)).then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    await deadline;
    for (const run of runs) run.finish();
  } finally {
    for (const socket of sockets) socket.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const answered = results.reduce((sum, r) => sum + r.answered, 0);
  return { streams: results, seconds, qps: answered / seconds };
}

interface StreamRun {
  readonly done: Promise<void>;
  /** Gives up on whatever is still in flight (counted lost). */
  readonly finish: () => void;
}

function runStream(
  socket: Socket,
  stream: LoadStream,
  result: StreamResult,
  port: number,
  window: number,
  timeoutMs: number,
  stopWhen: (() => boolean) | undefined,
): StreamRun {
  // query id -> [sequence number, time sent]; ids are sequence & 0xffff, never reused while in flight
  const inflight = new Map<number, [number, number]>();
  let next = 0;
  let stopped = false;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const limit = (): number => (stopped ? next : stream.count);
  const pump = (): void => {
    while (inflight.size < window && next < limit()) {
      const seq = next++;
      const id = seq & 0xffff;
      if (inflight.has(id)) {
        next--;
        break;
      }
      inflight.set(id, [seq, performance.now()]);
      socket.send(encodeQuery(id, stream.name(seq), stream.qtype ?? 1), port, '127.0.0.1');
      result.sent++;
    }
    if (inflight.size === 0 && next >= limit()) {
      clearInterval(sweeper);
      resolveDone();
    }
  };
  socket.on('message', (msg) => {
    if (msg.length < 12) return;
    const entry = inflight.get(msg.readUInt16BE(0));
    if (!entry) return;
    inflight.delete(msg.readUInt16BE(0));
    result.rcodes[entry[0]] = (msg.readUInt16BE(2) & 0xf) + 1;
    result.answered++;
    pump();
  });
  const sweeper = setInterval(() => {
    if (stopWhen?.()) stopped = true;
    const now = performance.now();
    for (const [id, [, sentAt]] of inflight) {
      if (now - sentAt > timeoutMs) {
        inflight.delete(id);
        result.lost++;
      }
    }
    pump();
  }, 50);
  pump();
  return {
    done,
    finish() {
      clearInterval(sweeper);
      result.lost += inflight.size;
      inflight.clear();
      resolveDone();
    },
  };
}
