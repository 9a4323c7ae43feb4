// Run the real `dnsperf` against a loopback server and read its statistics (and, with -v, every latency).
import { spawn } from 'node:child_process';
import { closeSync, createReadStream, openSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';

export interface DnsperfOptions {
  readonly port: number;
  readonly dataFile: string;
  readonly server?: string;
  /** -c: simulated clients (sockets). */
  readonly clients?: number;
  /** -q: queries outstanding at most. */
  readonly outstanding?: number;
  /** -l: run for this many seconds. */
  readonly seconds?: number;
  /** -n: go through the data file at most this many times. */
  readonly maxRuns?: number;
  /** -a: local (source) address, e.g. 127.0.0.3, so the server sees a different client. */
  readonly localAddress?: string;
  /** -Q: queries per second at most. */
  readonly maxQps?: number;
  /** -t: seconds before an unanswered query counts as lost (dnsperf default 5). */
  readonly timeoutSeconds?: number;
  /** -b: socket buffer size in KiB. */
  readonly bufferKb?: number;
  /** -m tcp instead of UDP. */
  readonly tcp?: boolean;
  /** Pin dnsperf to these CPUs with taskset (e.g. "1"). */
  readonly cpus?: string | undefined;
  /** With -v, every response line goes to this file (for latency percentiles); the summary too. */
  readonly verboseFile?: string;
  /** Hard limit for the whole process; killed after it. Default: seconds + timeout + 20 s. */
  readonly killAfterMs?: number;
}

export interface DnsperfResult {
  readonly sent: number;
  readonly completed: number;
  readonly lost: number;
  readonly qps: number;
  readonly runTimeS: number;
  readonly avgLatencyS: number;
  readonly minLatencyS: number;
  readonly maxLatencyS: number;
  readonly stddevLatencyS: number;
  readonly rcodes: Readonly<Record<string, number>>;
  readonly avgRequestBytes: number;
  readonly avgResponseBytes: number;
  readonly raw: string;
}

export function dnsperfArgs(options: DnsperfOptions): string[] {
  const args = ['-s', options.server ?? '127.0.0.1', '-p', String(options.port), '-d', options.dataFile];
  args.push('-c', String(options.clients ?? 10), '-q', String(options.outstanding ?? 100));
  if (options.seconds !== undefined) args.push('-l', String(options.seconds));
  if (options.maxRuns !== undefined) args.push('-n', String(options.maxRuns));
  if (options.localAddress !== undefined) args.push('-a', options.localAddress);
  if (options.maxQps !== undefined) args.push('-Q', String(options.maxQps));
  if (options.timeoutSeconds !== undefined) args.push('-t', String(options.timeoutSeconds));
  if (options.bufferKb !== undefined) args.push('-b', String(options.bufferKb));
  if (options.tcp) args.push('-m', 'tcp');
  if (options.verboseFile !== undefined) args.push('-v');
  return args;
}

/** Runs dnsperf to completion (bounded) and parses its summary. Rejects when it cannot run at all. */
export async function runDnsperf(options: DnsperfOptions): Promise<DnsperfResult> {
  const args = dnsperfArgs(options);
  const [command, argv] =
    options.cpus === undefined ? ['dnsperf', args] : ['taskset', ['-c', options.cpus, 'dnsperf', ...args]];
  const limit = options.killAfterMs ?? ((options.seconds ?? 60) + (options.timeoutSeconds ?? 5) + 20) * 1000;
  const fd = options.verboseFile === undefined ? undefined : openSync(options.verboseFile, 'w');
  try {
    const text = await new Promise<string>((resolve, reject) => {
      const child = spawn(command, argv, {
        stdio: ['ignore', fd ?? 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const killer = setTimeout(() => child.kill('SIGKILL'), limit);
      child.on('error', (error) => {
        clearTimeout(killer);
        reject(error);
      });
      child.on('close', (code) => {
        clearTimeout(killer);
        if (code === 0) resolve(output);
        else reject(new Error(`dnsperf exited with ${String(code)}:\n${output}`));
      });
    });
    if (fd !== undefined) {
      closeSync(fd);
      return parseDnsperf(`${text}\n${await tail(options.verboseFile ?? '', 4096)}`);
    }
    return parseDnsperf(text);
  } finally {
    try {
      if (fd !== undefined) closeSync(fd);
    } catch {
      // already closed
    }
  }
}

export function parseDnsperf(raw: string): DnsperfResult {
  const number = (re: RegExp): number => {
    const match = re.exec(raw);
    if (!match?.[1]) throw new Error(`dnsperf output lacks ${re.source}:\n${raw.slice(-2000)}`);
    return Number(match[1]);
  };
  const latency = /Average Latency \(s\):\s+([\d.]+) \(min ([\d.]+), max ([\d.]+)\)/.exec(raw);
  const rcodes: Record<string, number> = {};
  const codes = /Response codes:\s+(.*)/.exec(raw)?.[1] ?? '';
  for (const match of codes.matchAll(/([A-Z]+) (\d+)/g)) rcodes[match[1] ?? ''] = Number(match[2]);
  const sizes = /Average packet size:\s+request (\d+), response (\d+)/.exec(raw);
  return {
    sent: number(/Queries sent:\s+(\d+)/),
    completed: number(/Queries completed:\s+(\d+)/),
    lost: number(/Queries lost:\s+(\d+)/),
    qps: number(/Queries per second:\s+([\d.]+)/),
    runTimeS: number(/Run time \(s\):\s+([\d.]+)/),
    avgLatencyS: Number(latency?.[1] ?? NaN),
    minLatencyS: Number(latency?.[2] ?? NaN),
    maxLatencyS: Number(latency?.[3] ?? NaN),
    stddevLatencyS: Number(/Latency StdDev \(s\):\s+([\d.]+)/.exec(raw)?.[1] ?? NaN),
    rcodes,
    avgRequestBytes: Number(sizes?.[1] ?? NaN),
    avgResponseBytes: Number(sizes?.[2] ?? NaN),
    raw,
  };
}

export interface LatencyPercentiles {
  readonly count: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
}

/**
 * Exact percentiles (1 µs resolution, as dnsperf prints them) from dnsperf -v output: one line per
 * response, "> NOERROR name type 0.000123". Streams the file; memory is one 1 s histogram.
 */
export async function latencyPercentiles(verboseFile: string): Promise<LatencyPercentiles> {
  const buckets = new Uint32Array(1_000_001); // 0..1 s in µs; the last bucket holds everything slower
  let count = 0;
  let max = 0;
  const lines = createInterface({ input: createReadStream(verboseFile), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.startsWith('> ')) continue;
    const micros = Math.round(Number(line.slice(line.lastIndexOf(' ') + 1)) * 1e6);
    if (!Number.isFinite(micros)) continue;
    const index = Math.min(micros, buckets.length - 1);
    buckets[index] = (buckets[index] ?? 0) + 1;
    if (micros > max) max = micros;
    count++;
  }
  const at = (fraction: number): number => {
    if (count === 0) return NaN;
    const rank = Math.ceil(fraction * count);
    let seen = 0;
    for (let i = 0; i < buckets.length; i++) {
      seen += buckets[i] ?? 0;
      if (seen >= rank) return i / 1000;
    }
    return max / 1000;
  };
  return { count, p50Ms: at(0.5), p90Ms: at(0.9), p99Ms: at(0.99), p999Ms: at(0.999), maxMs: max / 1000 };
}

async function tail(file: string, bytes: number): Promise<string> {
  const { size } = await stat(file);
  const stream = createReadStream(file, { start: Math.max(0, size - bytes), encoding: 'utf8' });
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text;
}
