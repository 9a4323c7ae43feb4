// `npm run bench`: dnsward (both UDP engines) side by side with unbound and dnsdist (bare, and logging every query
// and reply like dnsward's query log), a dns2 baseline and a bare Node dgram echo, driven by dnsperf on loopback.
// Options (all optional):
//   --seconds N          dnsperf -l per workload (default 10)
//   --servers a,b        subset of SERVERS below (default all)
//   --workloads a,b      subset of cached,denied,mix,miss (default all)
//   --long [--long-seconds N]   also a unique-names run of N s (default 60) sampling dnsward RSS every second
//   --profile            run dnsward with --cpu-prof; one profile per workload in the results folder
//   --no-latency         skip dnsperf -v (no p99, slightly less load-generator work)
//   --no-pin             do not pin with taskset
//   --node-args "..."    extra node flags for dnsward (e.g. "--max-old-space-size=256")
//   --dnsward-config JSON   merged over dnsward's bench config per section, e.g. '{"store":{"batchSize":500}}'
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { startPostgres, type Postgres } from '../test/helpers/postgres.js';
import { freePort } from '../test/helpers/ports.js';
import { latencyPercentiles, runDnsperf, type DnsperfResult } from '../test/helpers/dnsperf.js';
import {
  formatProfile,
  monotonicMicros,
  summarizeProfileDir,
  type ProfileSummary,
} from './lib/cpu-profile.js';
import { cpuSeconds, cpuTicks, memory, stealPercent } from './lib/proc-stat.js';
import {
  REPO_ROOT,
  startAuthoritative,
  startDns2,
  startDnsdist,
  startDnsward,
  startNodeEcho,
  startUnboundResolver,
  type BenchServer,
  type StartSpec,
} from './lib/servers.js';
import { ANCHORS, formatTable, type WorkloadResult } from './lib/table.js';
import { loadUdpAddon } from '../src/dns/udp-addon.js';
import {
  missName,
  WORKLOAD_LABELS,
  WORKLOADS,
  writeBenchData,
  writeQueryFile,
  type Workload,
} from './lib/zone.js';

/**
 * dnsward runs listen.udpEngine auto (native where the addon loads), dnsward-dgram forces Node's dgram,
 * dnsward-pg is dnsward with store.url on a PostgreSQL the bench starts (Debian's package, loopback).
 */
const SERVERS = [
  'dnsward',
  'dnsward-dgram',
  'dnsward-pg',
  'unbound',
  'unbound-log',
  'dnsdist',
  'dnsdist-log',
  'dns2',
  'node-echo',
] as const;
type ServerName = (typeof SERVERS)[number];

const { values: flags } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    servers: { type: 'string', default: SERVERS.join(',') },
    workloads: { type: 'string', default: WORKLOADS.join(',') },
    long: { type: 'boolean', default: false },
    'long-seconds': { type: 'string', default: '60' },
    profile: { type: 'boolean', default: false },
    'no-latency': { type: 'boolean', default: false },
    'no-pin': { type: 'boolean', default: false },
    'node-args': { type: 'string', default: '' },
    'dnsward-config': { type: 'string', default: '{}' },
    clients: { type: 'string', default: '10' },
    outstanding: { type: 'string', default: '100' },
    names: { type: 'string', default: '5000' },
  },
});

const seconds = Number(flags.seconds);
const servers = pick(flags.servers, SERVERS);
const workloads = pick(flags.workloads, WORKLOADS);
const pin = !flags['no-pin'] && cpus().length >= 2;
/** Extra node flags for every dnsward started, e.g. "--max-old-space-size=256". */
const dnswardNodeArgs = flags['node-args'].split(' ').filter(Boolean);
/** Merged over dnsward's bench config per top-level section, e.g. '{"store":{"batchSize":500}}'. */
const dnswardConfig = JSON.parse(flags['dnsward-config']) as Record<string, unknown>;
const SERVER_CPUS = pin ? '0' : undefined;
const LOAD_CPUS = pin ? '1' : undefined;
const clients = Number(flags.clients);
const outstanding = Number(flags.outstanding);

const dir = mkdtempSync(join(tmpdir(), 'dnsward-bench-'));
const resultsDir = join(REPO_ROOT, 'bench', 'results');
mkdirSync(resultsDir, { recursive: true });
const running = new Set<BenchServer>();
/** The dnsward rows: each gets ratio columns and a query-log completeness line. */
const DNSWARDS: readonly ServerName[] = ['dnsward', 'dnsward-dgram', 'dnsward-pg'];
/** Started for dnsward-pg only. */
let postgres: Postgres | undefined;
let cleaned = false;
function cleanup(): void {
  if (cleaned) return;
  cleaned = true;
  for (const server of running) {
    try {
      process.kill(-server.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    cleanup();
    process.exit(130);
  });
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadBefore = loadavg();
  log(
    `load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}; ${cpus().length} CPUs; pinning ${pin ? 'server->0, dnsperf+upstream->1' : 'off'}`,
  );
  const missLines = 1_500_000;
  const data = writeBenchData(dir, Number(flags.names), missLines);
  const upstreamPort = await freePort();
  const upstream = track(await startAuthoritative(dir, data.zoneFile, upstreamPort, LOAD_CPUS));
  log(`upstream ${upstream.name} on 127.0.0.1:${upstreamPort}`);

  const results: WorkloadResult<ServerName>[] = [];
  const memoryByServer: Partial<Record<ServerName, { peakRssMiB: number; rssMiB: number }>> = {};
  const profiles: Record<string, ProfileSummary> = {};

  // every server is up (and idle) at once; each workload runs on all of them back to back, so the ratios of
  // one workload are measured within a minute of each other. With --profile, dnsward restarts per workload
  // so that each profile holds one workload.
  const profiling = flags.profile;
  const profileDir = join(dir, 'profiles');
  const up = new Map<ServerName, { server: BenchServer; answered: number }>();
  const launch = async (
    name: ServerName,
    profile: boolean,
  ): Promise<{ server: BenchServer; answered: number }> => {
    if (profile) rmSync(profileDir, { recursive: true, force: true });
    const server = track(
      await startServer(
        name,
        { dir: join(dir, name), port: await freePort(), upstreamPort, cpus: SERVER_CPUS },
        profile ? profileDir : undefined,
      ),
    );
    // warm the cache with every cached name once (not measured)
    const warm = await runDnsperf({
      port: server.port,
      dataFile: data.files.cached,
      maxRuns: 1,
      clients,
      outstanding,
      cpus: LOAD_CPUS,
      seconds: 30,
    });
    return { server, answered: warm.completed };
  };
  for (const name of servers)
    if (!(profiling && name.startsWith('dnsward'))) up.set(name, await launch(name, false));

  for (const workload of workloads) {
    for (const name of servers) {
      const fresh = profiling && name.startsWith('dnsward') ? await launch(name, true) : undefined;
      const entry = fresh ?? up.get(name);
      if (!entry) continue;
      const windowStart = monotonicMicros();
      const result = await measure(
        entry.server,
        name,
        workload,
        data.files[workload],
        workload === 'miss' ? missLines : Infinity,
      );
      const window: [number, number] = [windowStart, monotonicMicros()];
      results.push(result);
      entry.answered += result.completed;
      log(
        `${name.padEnd(8)} ${WORKLOAD_LABELS[workload].padEnd(22)} ${Math.round(result.qps).toString().padStart(7)} q/s  avg ${result.avgMs.toFixed(3)} ms  p99 ${result.p99Ms?.toFixed(3) ?? '-'} ms  lost ${result.lost}  cpu ${result.cpuPercent.toFixed(0)}%  steal ${result.stealPercent.toFixed(0)}%`,
      );
      if (fresh) {
        memoryByServer[name] = memory(fresh.server.pid);
        await stop(fresh.server);
        const summary = summarizeProfileDir(profileDir, 25, window);
        profiles[`${name} ${workload}`] = summary;
        if (summary.file)
          writeFileSync(
            join(resultsDir, `profile-${name}-${workload}.cpuprofile`),
            readFileSync(summary.file),
          );
      }
    }
  }
  const logChecks = new Map<ServerName, LogCheck>();
  for (const [name, { server, answered }] of up) {
    memoryByServer[name] = memory(server.pid);
    await stop(server);
    if (DNSWARDS.includes(name)) logChecks.set(name, await queryLogCheck(server, answered));
  }
  await postgres?.stop();

  let long: LongRun | undefined;
  if (flags.long && servers.includes('dnsward')) {
    const missQps = results.find((r) => r.server === 'dnsward' && r.workload === 'miss')?.qps ?? 20_000;
    long = await longRun(upstreamPort, Number(flags['long-seconds']), Math.round(missQps * 0.8));
  }
  await stop(upstream);

  const loadAfter = loadavg();
  const report = {
    startedAt: startedAt.toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model ?? '',
      loadBefore,
      loadAfter,
      node: process.version,
      versions: versions(),
      rmemMax: readFileSync('/proc/sys/net/core/rmem_max', 'utf8').trim(),
    },
    settings: {
      seconds,
      clients,
      outstanding,
      pinning: pin ? { server: SERVER_CPUS, dnsperfAndUpstream: LOAD_CPUS } : null,
      names: data.names,
      missLines,
      upstream: upstream.name,
      latency: flags['no-latency']
        ? 'dnsperf summary only'
        : 'dnsperf -v: every response latency, exact percentiles at 1 µs',
      dnsward: {
        ...dnswardStatus(),
        udpEngine: dnswardEngine(),
        nodeArgs: dnswardNodeArgs,
        configOverrides: dnswardConfig,
      },
    },
    results,
    ratios: ratios(results),
    memory: memoryByServer,
    queryLog: logChecks.get('dnsward'),
    queryLogDgram: logChecks.get('dnsward-dgram'),
    queryLogPostgres: logChecks.get('dnsward-pg'),
    long,
    profiles,
  };
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  writeFileSync(join(resultsDir, `bench-${stamp}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(resultsDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);

  process.stdout.write(`\n${formatTable(results, report.ratios, workloads, servers)}\n`);
  process.stdout.write(
    `dnsward ran listen.udpEngine auto = ${dnswardEngine()}; dnsward-dgram forced dgram; dnsward-pg = auto with store.url on PostgreSQL\n`,
  );
  for (const [name, check] of logChecks) {
    process.stdout.write(
      `${name} query log over the whole run: ${check.rows} rows + ${check.drops} counted drops for ${check.answered} answers dnsperf received (+ readiness probes)\n`,
    );
  }
  const peaks = Object.entries(memoryByServer).map(([name, m]) => `${name} ${m.peakRssMiB.toFixed(0)} MiB`);
  if (peaks.length > 0) process.stdout.write(`peak RSS after the workloads: ${peaks.join(', ')}\n`);
  if (long) {
    process.stdout.write(
      `long run query log: ${long.queryLog.rows} rows + ${long.queryLog.drops} counted drops for ${long.queryLog.answered} answers\n`,
    );
    process.stdout.write(
      `long run: ${long.seconds} s of unique names at ${long.targetQps} q/s -> ${Math.round(long.qps)} q/s, lost ${long.lost}; ` +
        `RSS ${long.firstWindowMiB.toFixed(0)} MiB (s ${long.firstWindowStart}-${long.firstWindowStart + 10}) -> ${long.lastWindowMiB.toFixed(0)} MiB (last 10 s): ${(long.drift * 100).toFixed(1)} % ${Math.abs(long.drift) <= 0.1 ? 'flat' : 'NOT flat'}\n`,
    );
  }
  for (const [workload, summary] of Object.entries(profiles)) {
    process.stdout.write(`\n${formatProfile(`dnsward CPU profile, ${workload}`, summary)}\n`);
  }
  process.stdout.write(
    `load average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${loadAfter.map((l) => l.toFixed(2)).join(' ')}\n`,
  );
  process.stdout.write(`results: bench/results/bench-${stamp}.json\n`);
}

async function startServer(
  name: ServerName,
  spec: StartSpec,
  profileDir: string | undefined,
): Promise<BenchServer> {
  switch (name) {
    case 'dnsward':
    case 'dnsward-dgram': {
      const listen = { ...(dnswardConfig.listen as object | undefined) };
      return startDnsward({
        ...spec,
        nodeArgs: [...dnswardNodeArgs, ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])],
        configOverrides:
          name === 'dnsward'
            ? dnswardConfig
            : { ...dnswardConfig, listen: { ...listen, udpEngine: 'dgram' } },
      });
    }
    case 'dnsward-pg': {
      postgres ??= await startPostgres();
      const url = await postgres.createDatabase('bench');
      return startDnsward({
        ...spec,
        nodeArgs: [...dnswardNodeArgs, ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])],
        configOverrides: {
          ...dnswardConfig,
          store: { ...(dnswardConfig.store as object | undefined), url, instance: 'bench' },
        },
      });
    }
    case 'unbound':
    case 'unbound-log':
      return startUnboundResolver(spec, name === 'unbound-log');
    case 'dnsdist':
    case 'dnsdist-log':
      return startDnsdist(spec, name === 'dnsdist-log');
    case 'dns2':
      return startDns2(spec);
    case 'node-echo':
      return startNodeEcho(spec);
  }
}

async function measure(
  server: BenchServer,
  name: ServerName,
  workload: Workload,
  dataFile: string,
  uniqueLines: number,
): Promise<WorkloadResult<ServerName>> {
  const verboseFile = flags['no-latency'] ? undefined : join(dir, `verbose-${name}-${workload}.txt`);
  const serverCpu = SERVER_CPUS === undefined ? 'cpu' : `cpu${SERVER_CPUS}`;
  const ticksBefore = cpuTicks(serverCpu);
  const cpuBefore = cpuSeconds(server.pid);
  const started = performance.now();
  const perf: DnsperfResult = await runDnsperf({
    port: server.port,
    dataFile,
    clients,
    outstanding,
    seconds,
    cpus: LOAD_CPUS,
    ...(verboseFile ? { verboseFile } : {}),
  });
  const steal = stealPercent(ticksBefore, cpuTicks(serverCpu));
  const wall = (performance.now() - started) / 1000;
  const cpuPercent = ((cpuSeconds(server.pid) - cpuBefore) / wall) * 100;
  const percentiles = verboseFile ? await latencyPercentiles(verboseFile) : undefined;
  if (verboseFile) rmSync(verboseFile, { force: true });
  return {
    server: name,
    workload,
    qps: perf.qps,
    sent: perf.sent,
    completed: perf.completed,
    lost: perf.lost,
    avgMs: perf.avgLatencyS * 1000,
    p50Ms: percentiles?.p50Ms ?? null,
    p99Ms: percentiles?.p99Ms ?? null,
    p999Ms: percentiles?.p999Ms ?? null,
    maxMs: perf.maxLatencyS * 1000,
    cpuPercent,
    stealPercent: steal,
    rcodes: perf.rcodes,
    wrapped: perf.sent > uniqueLines,
  };
}

interface LongRun {
  readonly seconds: number;
  readonly targetQps: number;
  readonly qps: number;
  readonly lost: number;
  /** [seconds since start, RSS MiB] every second. */
  readonly rssSeries: readonly (readonly [number, number])[];
  /** The first window starts once the cache can be full (100000 answers at the measured rate), at least at 10 s. */
  readonly firstWindowStart: number;
  readonly firstWindowMiB: number;
  readonly lastWindowMiB: number;
  /** (last - first) / first. */
  readonly drift: number;
  readonly peakRssMiB: number;
  readonly queryLog: LogCheck;
}

interface LogCheck {
  /** Answers dnsperf received from this dnsward (warm-up included), not counting readiness probes. */
  readonly answered: number;
  readonly rows: number;
  readonly drops: number;
}

/** After a graceful stop (queue flushed): rows and counted drops in dnsward's query log vs answers received. */
async function queryLogCheck(server: BenchServer, answered: number): Promise<LogCheck> {
  const url = (server.settings.config as { store?: { url?: string } } | undefined)?.store?.url;
  if (url !== undefined) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const count = async (sql: string): Promise<number> =>
        Number((await client.query<{ n: string }>(sql)).rows[0]?.n ?? 0);
      return {
        answered,
        rows: await count('SELECT count(*) AS n FROM query_log'),
        drops: await count('SELECT coalesce(sum(dropped), 0) AS n FROM query_log_drops'),
      };
    } finally {
      await client.end();
    }
  }
  const db = new Database(String(server.settings.dbPath), { readonly: true, fileMustExist: true });
  try {
    const rows = (db.prepare('SELECT count(*) AS n FROM queries').get() as { n: number }).n;
    const drops = (
      db.prepare('SELECT coalesce(sum(dropped), 0) AS n FROM query_log_drops').get() as { n: number }
    ).n;
    return { answered, rows, drops };
  } finally {
    db.close();
  }
}

/** dnsward alone on unique names for `duration` s at `qps`, RSS sampled every second. */
async function longRun(upstreamPort: number, duration: number, qps: number): Promise<LongRun> {
  const file = writeQueryFile(join(dir, 'long.txt'), Math.ceil(duration * qps * 1.05), (i) =>
    missName('l', i),
  );
  const server = track(
    await startDnsward({
      dir: join(dir, 'dnsward-long'),
      port: await freePort(),
      upstreamPort,
      cpus: SERVER_CPUS,
      nodeArgs: dnswardNodeArgs,
      configOverrides: dnswardConfig,
    }),
  );
  log(`long run: ${duration} s of unique names at ${qps} q/s`);
  const series: [number, number][] = [];
  const started = performance.now();
  const sampler = setInterval(() => {
    series.push([Math.round((performance.now() - started) / 1000), memory(server.pid).rssMiB]);
  }, 1000);
  try {
    const perf = await runDnsperf({
      port: server.port,
      dataFile: file,
      clients,
      outstanding,
      seconds: duration,
      maxQps: qps,
      cpus: LOAD_CPUS,
    });
    clearInterval(sampler);
    const peakRssMiB = memory(server.pid).peakRssMiB;
    await stop(server);
    const log = await queryLogCheck(server, perf.completed);
    const window = (from: number, to: number): number => {
      const values = series.filter(([t]) => t > from && t <= to).map(([, rss]) => rss);
      return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
    };
    // the answer cache (100000 entries by default) grows until full; flatness is judged after that
    const fullAt = Math.min(Math.max(10, Math.ceil(100_000 / Math.max(1, perf.qps)) + 5), duration - 20);
    const first = window(fullAt, fullAt + 10);
    const last = window(duration - 10, duration);
    return {
      seconds: duration,
      firstWindowStart: fullAt,
      targetQps: qps,
      qps: perf.qps,
      lost: perf.lost,
      rssSeries: series,
      firstWindowMiB: first,
      lastWindowMiB: last,
      drift: (last - first) / first,
      peakRssMiB,
      queryLog: log,
    };
  } finally {
    clearInterval(sampler);
    await stop(server);
    rmSync(file, { force: true });
  }
}

/** ratios[`${dnswardServer} ${workload}`][anchor] = dnsward q/s / anchor q/s, same run. */
function ratios(results: readonly WorkloadResult[]): Record<string, Record<string, number | null>> {
  const out: Record<string, Record<string, number | null>> = {};
  for (const workload of WORKLOADS) {
    const qps = (server: ServerName): number | undefined =>
      results.find((r) => r.server === server && r.workload === workload)?.qps;
    for (const self of DNSWARDS) {
      const dnsward = qps(self);
      if (dnsward === undefined) continue;
      const ratio = (other: ServerName): number | null => {
        const value = qps(other);
        return value ? dnsward / value : null;
      };
      out[`${self} ${workload}`] = Object.fromEntries(ANCHORS.map((anchor) => [anchor, ratio(anchor)]));
    }
  }
  return out;
}

/** What listen.udpEngine auto picks for a dnsward started by this Node: native where the addon loads. */
function dnswardEngine(): 'native' | 'dgram' {
  try {
    loadUdpAddon();
    return 'native';
  } catch {
    return 'dgram';
  }
}

function versions(): Record<string, string> {
  const first = (command: string, args: string[]): string => {
    const run = spawnSync(command, args, { encoding: 'utf8', timeout: 5000 });
    return (
      `${run.stdout}\n${run.stderr}`
        .split('\n')
        .find((line) => /\d+\.\d+/.test(line))
        ?.trim() ?? ''
    );
  };
  return {
    dnsperf: first('dnsperf', ['-h']),
    unbound: first('unbound', ['-V']),
    dnsdist: first('dnsdist', ['--version']),
    nsd: first('/usr/sbin/nsd', ['-v']),
  };
}

/** What the dnsward under test had on: git revision and whether serve wires the detection engine yet. */
function dnswardStatus(): Record<string, unknown> {
  const git = (args: string[]): string => {
    try {
      return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 5000 }).trim();
    } catch {
      return '';
    }
  };
  const serve =
    readFileSync(join(REPO_ROOT, 'src/cli/commands/serve.ts'), 'utf8') +
    readFileSync(join(REPO_ROOT, 'src/server.ts'), 'utf8');
  return {
    revision: git(['rev-parse', '--short', 'HEAD']),
    dirty: git(['status', '--porcelain', 'src']).length > 0,
    queryLog: true,
    detectionConfigured: true,
    detectionWiredInServe: /detect\/(engine|consumer)|DetectionEngine|createDetectionConsumer/.test(serve),
  };
}

function pick<T extends string>(list: string, allowed: readonly T[]): T[] {
  const chosen = list.split(',').filter(Boolean);
  for (const item of chosen)
    if (!allowed.includes(item as T)) throw new Error(`unknown "${item}": one of ${allowed.join(', ')}`);
  return allowed.filter((item) => chosen.includes(item));
}

function track(server: BenchServer): BenchServer {
  running.add(server);
  return server;
}

async function stop(server: BenchServer): Promise<void> {
  await server.stop();
  running.delete(server);
}

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

await main().catch((error: unknown) => {
  process.stderr.write(
    `[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
cleanup();
