// The servers of the benchmark, all on loopback: the authoritative upstream (nsd, else unbound) and the
// resolvers under test, each configured for the same job: forward the zone through a cache, deny the rest
// with NXDOMAIN + SOA, answer nothing else.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { startProcess, type Running } from '../../test/helpers/processes.js';
import { ANSWER_TTL, MISS_ZONE, ZONE } from './zone.js';
import { waitForDns } from './probe.js';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

export interface BenchServer {
  readonly name: string;
  readonly port: number;
  readonly pid: number;
  readonly output: () => string;
  readonly stop: () => Promise<void>;
  /** What the server was configured with, for the results file. */
  readonly settings: Readonly<Record<string, unknown>>;
}

export interface StartSpec {
  readonly dir: string;
  readonly port: number;
  readonly upstreamPort: number;
  /** taskset CPU list, e.g. "0"; undefined = no pinning. */
  readonly cpus: string | undefined;
}

function pinned(cpus: string | undefined, command: string, args: readonly string[]): [string, string[]] {
  return cpus === undefined ? [command, [...args]] : ['taskset', ['-c', cpus, command, ...args]];
}

async function started(
  name: string,
  proc: Running,
  port: number,
  settings: Record<string, unknown>,
  probeName: string,
): Promise<BenchServer> {
  try {
    await waitForDns(port, probeName, 20_000, () => {
      if (proc.child.exitCode !== null) throw new Error(`${name} exited:\n${proc.output()}`);
    });
  } catch (error) {
    await proc.stop();
    throw error;
  }
  return { name, port, pid: proc.child.pid ?? 0, output: proc.output, stop: proc.stop, settings };
}

// ---------------------------------------------------------------------------------------------------
// The authoritative upstream
// ---------------------------------------------------------------------------------------------------

export async function startAuthoritative(
  dir: string,
  zoneFile: string,
  port: number,
  cpus: string | undefined,
): Promise<BenchServer> {
  const home = join(dir, 'auth');
  mkdirSync(home, { recursive: true });
  if (existsSync('/usr/sbin/nsd')) {
    const conf = [
      'server:',
      `  ip-address: 127.0.0.1@${port}`,
      '  do-ip6: no',
      '  server-count: 1',
      '  username: ""',
      '  chroot: ""',
      `  zonesdir: "${home}"`,
      '  database: ""',
      `  zonelistfile: "${join(home, 'zone.list')}"`,
      `  xfrdfile: "${join(home, 'xfrd.state')}"`,
      `  xfrdir: "${home}"`,
      `  pidfile: "${join(home, 'nsd.pid')}"`,
      `  logfile: "${join(home, 'nsd.log')}"`,
      '  verbosity: 0',
      '  hide-version: yes',
      '  rrl-ratelimit: 0', // no response rate limiting: the benchmark is one client at a very high rate
      'remote-control:',
      '  control-enable: no',
      'zone:',
      `  name: "${ZONE}"`,
      `  zonefile: "${zoneFile}"`,
    ].join('\n');
    const confPath = join(home, 'nsd.conf');
    writeFileSync(confPath, `${conf}\n`);
    const [command, args] = pinned(cpus, '/usr/sbin/nsd', ['-d', '-c', confPath]);
    return started('nsd', startProcess(command, args), port, { software: 'nsd' }, `h00000.${ZONE}`);
  }
  // fallback: unbound answering the zone from local-data (the wildcard as a redirect zone)
  const conf = [
    ...unboundServerLines(home, port),
    `  local-zone: "." refuse`,
    `  local-zone: "${ZONE}." static`,
    `  local-data: "${ZONE}. 3600 IN SOA ns.${ZONE}. hostmaster.${ZONE}. 1 3600 600 86400 300"`,
    `  local-zone: "${MISS_ZONE}." redirect`,
    `  local-data: "${MISS_ZONE}. ${ANSWER_TTL} IN A 198.51.100.1"`,
    `  include: "${zoneFile}.unbound"`,
  ];
  writeFileSync(confPath(home), `${conf.join('\n')}\n`);
  const [command, args] = pinned(cpus, 'unbound', ['-d', '-c', confPath(home)]);
  return started(
    'unbound-auth',
    startProcess(command, args),
    port,
    { software: 'unbound' },
    `h00000.${ZONE}`,
  );
}

const confPath = (home: string): string => join(home, 'unbound.conf');

function unboundServerLines(home: string, port: number): string[] {
  return [
    'server:',
    `  interface: 127.0.0.1@${port}`,
    '  do-daemonize: no',
    '  username: ""',
    '  chroot: ""',
    `  directory: "${home}"`,
    `  pidfile: "${join(home, 'unbound.pid')}"`,
    '  use-syslog: no',
    '  verbosity: 0',
    '  do-ip6: no',
    '  num-threads: 1',
    '  access-control: 127.0.0.0/8 allow',
    '  module-config: "iterator"',
  ];
}

// ---------------------------------------------------------------------------------------------------
// The resolvers under test
// ---------------------------------------------------------------------------------------------------

export interface DnswardSpec extends StartSpec {
  /** Extra node flags, e.g. ["--cpu-prof", "--cpu-prof-dir=..."]. */
  readonly nodeArgs?: readonly string[];
  /** Merged over the bench config (a shallow merge per top-level section). */
  readonly configOverrides?: Record<string, unknown>;
}

export function dnswardBenchConfig(spec: DnswardSpec): Record<string, unknown> {
  const base: Record<string, Record<string, unknown> | unknown[]> = {
    listen: { udp: [`127.0.0.1:${spec.port}`], tcp: [`127.0.0.1:${spec.port}`] },
    upstreams: { default: [`127.0.0.1:${spec.upstreamPort}`], timeoutMs: 2000 },
    identity: { defaultGroup: 'bench' },
    groups: [
      // cache-miss names are unique under the wildcard: the bench measures forwarding, not the budget
      {
        name: 'bench',
        tier: 4,
        clients: ['127.0.0.0/8'],
        allowlists: ['bench-allow.yaml'],
        wildcardBudget: false,
      },
    ],
    store: { path: join(spec.dir, 'dnsward', 'dnsward.db'), queryLog: true },
    detection: { enabled: true },
    log: { level: 'warn' },
  };
  for (const [section, value] of Object.entries(spec.configOverrides ?? {})) {
    const current = base[section];
    base[section] =
      current && !Array.isArray(current) && typeof value === 'object' && value && !Array.isArray(value)
        ? { ...current, ...(value as Record<string, unknown>) }
        : (value as Record<string, unknown>);
  }
  return base;
}

export async function startDnsward(spec: DnswardSpec): Promise<BenchServer> {
  const home = join(spec.dir, 'dnsward');
  mkdirSync(home, { recursive: true });
  writeFileSync(
    join(home, 'bench-allow.yaml'),
    stringify({
      group: 'bench',
      entries: [
        {
          domain: `*.${ZONE}`,
          justification: 'benchmark zone served by the local authoritative upstream',
          owner: 'bench',
          added: '2026-01-01',
        },
      ],
    }),
  );
  const config = dnswardBenchConfig(spec);
  const configFile = join(home, 'dnsward.yaml');
  writeFileSync(configFile, stringify(config));
  const nodeArgs = [
    ...(spec.nodeArgs ?? []),
    '--import',
    'tsx',
    join(REPO_ROOT, 'src/main.ts'),
    'serve',
    '--config',
    configFile,
  ];
  const [command, args] = pinned(spec.cpus, process.execPath, nodeArgs);
  const proc = startProcess(command, args, { ...process.env, NODE_OPTIONS: '' });
  const store = config.store as { path: string };
  return started('dnsward', proc, spec.port, { config, dbPath: store.path }, `h00000.${ZONE}`);
}

/** `logging`: log-queries + log-replies to a file, i.e. the same logging job as dnsward's query log. */
export async function startUnboundResolver(spec: StartSpec, logging = false): Promise<BenchServer> {
  const home = join(spec.dir, 'unbound');
  mkdirSync(home, { recursive: true });
  const conf = [
    ...unboundServerLines(home, spec.port),
    ...(logging
      ? ['  log-queries: yes', '  log-replies: yes', `  logfile: "${join(home, 'queries.log')}"`]
      : []),
    '  do-not-query-localhost: no',
    '  so-rcvbuf: 4m',
    '  msg-cache-size: 64m',
    '  rrset-cache-size: 128m',
    // deny everything but the zone, with NXDOMAIN + SOA like dnsward
    '  local-zone: "." static',
    '  local-data: ". 60 IN SOA dnsward.invalid. hostmaster.dnsward.invalid. 1 3600 600 86400 60"',
    `  local-zone: "${ZONE}." transparent`,
    'forward-zone:',
    `  name: "${ZONE}."`,
    `  forward-addr: 127.0.0.1@${spec.upstreamPort}`,
  ];
  writeFileSync(confPath(home), `${conf.join('\n')}\n`);
  const [command, args] = pinned(spec.cpus, 'unbound', ['-d', '-c', confPath(home)]);
  return started(
    logging ? 'unbound-log' : 'unbound',
    startProcess(command, args),
    spec.port,
    { conf: conf.join('\n') },
    `h00000.${ZONE}`,
  );
}

/** `logging`: every query (LogAction) and every answer, forwarded, cached or self-made (LogResponseAction), to a file. */
export async function startDnsdist(spec: StartSpec, logging = false): Promise<BenchServer> {
  const home = join(spec.dir, 'dnsdist');
  mkdirSync(home, { recursive: true });
  const logFile = join(home, 'queries.log');
  // LogAction(file, binary, append, buffered, verboseOnly, includeTimestamp); LogResponseAction without `binary`
  const logLines = [
    `addAction(AllRule(), LogAction("${logFile}", false, true, true, false, true))`,
    `addResponseAction(AllRule(), LogResponseAction("${logFile}", true, true, false, true))`,
    `addCacheHitResponseAction(AllRule(), LogResponseAction("${logFile}", true, true, false, true))`,
    `addSelfAnsweredResponseAction(AllRule(), LogResponseAction("${logFile}", true, true, false, true))`,
  ];
  const conf = [
    `setLocal("127.0.0.1:${spec.port}")`,
    'setSecurityPollSuffix("")', // no security-status queries to the outside
    `newServer({address="127.0.0.1:${spec.upstreamPort}", checkName="${ZONE}.", checkType="SOA", checkInterval=60})`,
    'pc = newPacketCache(100000, {maxTTL=86400, minTTL=0, temporaryFailureTTL=60, staleTTL=60})',
    'getPool(""):setCache(pc)',
    'local zone = newSuffixMatchNode()',
    `zone:add("${ZONE}.")`,
    ...(logging ? logLines : []),
    // deny everything but the zone, with NXDOMAIN + SOA like dnsward
    'addAction(NotRule(SuffixMatchNodeRule(zone, true)), NegativeAndSOAAction(true, "invalid.", 60, "dnsward.invalid.", "hostmaster.dnsward.invalid.", 1, 3600, 600, 86400, 60))',
  ];
  const file = join(home, 'dnsdist.conf');
  writeFileSync(file, `${conf.join('\n')}\n`);
  const [command, args] = pinned(spec.cpus, 'dnsdist', ['--supervised', '--disable-syslog', '-C', file]);
  return started(
    logging ? 'dnsdist-log' : 'dnsdist',
    startProcess(command, args),
    spec.port,
    { conf: conf.join('\n') },
    `h00000.${ZONE}`,
  );
}

export async function startDns2(spec: StartSpec): Promise<BenchServer> {
  const script = join(REPO_ROOT, 'bench/baselines/dns2-server.ts');
  const [command, args] = pinned(spec.cpus, process.execPath, [
    '--import',
    'tsx',
    script,
    String(spec.port),
    String(spec.upstreamPort),
    ZONE,
  ]);
  const proc = startProcess(command, args, { ...process.env, NODE_OPTIONS: '' });
  return started('dns2', proc, spec.port, { script: 'bench/baselines/dns2-server.ts' }, `h00000.${ZONE}`);
}

export async function startNodeEcho(spec: StartSpec): Promise<BenchServer> {
  const script = join(REPO_ROOT, 'bench/baselines/node-echo.ts');
  const [command, args] = pinned(spec.cpus, process.execPath, [script, String(spec.port)]);
  const proc = startProcess(command, args, { ...process.env, NODE_OPTIONS: '' });
  return started('node-echo', proc, spec.port, { script: 'bench/baselines/node-echo.ts' }, `h00000.${ZONE}`);
}
