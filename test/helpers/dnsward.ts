// Start the real dnsward CLI (`dnsward serve`) as a child process on a loopback port chosen by the OS.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { parseExposition, type Exposition } from '../unit/metrics/exposition.js';
import { startProcess, waitFor, type Running } from './processes.js';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

export interface Dnsward {
  readonly port: number;
  readonly dir: string;
  readonly dbPath: string;
  readonly configPath: string;
  readonly output: () => string;
  /** SIGTERM: graceful stop, queue flushed. */
  readonly stop: () => Promise<void>;
  readonly process: Running;
}

export type TestUdpEngine = 'native' | 'dgram';

/** The UDP engines the listener suites run against, both unless DNSWARD_TEST_UDP_ENGINES names some ("dgram"). */
export const TEST_UDP_ENGINES: readonly TestUdpEngine[] = (
  process.env.DNSWARD_TEST_UDP_ENGINES ?? 'native,dgram'
)
  .split(',')
  .map((name) => name.trim())
  .filter((name): name is TestUdpEngine => name === 'native' || name === 'dgram');

export interface StartOptions {
  /** Sets listen.udpEngine (the default config's `auto` otherwise). */
  readonly udpEngine?: TestUdpEngine | 'auto';
}

/** `config` is the YAML config as an object; listen and store.path are filled in unless given. */
export async function startDnsward(
  config: Record<string, unknown>,
  files: Record<string, string> = {},
  options: StartOptions = {},
): Promise<Dnsward> {
  const dir = mkdtempSync(join(tmpdir(), 'dnsward-test-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const dbPath = join(dir, 'dnsward.db');
  const full: Record<string, unknown> = {
    listen: { udp: ['127.0.0.1:0'], tcp: ['127.0.0.1:0'] },
    ...config,
    store: { path: dbPath, flushIntervalMs: 20, ...(config.store as object | undefined) },
  };
  if (options.udpEngine) full.listen = { ...(full.listen as object), udpEngine: options.udpEngine };
  const configPath = join(dir, 'dnsward.yaml');
  writeFileSync(configPath, stringify(full));
  return spawnDnsward(dir, configPath, dbPath);
}

/** The node arguments that run this checkout's `dnsward serve --config FILE` (the binary is process.execPath). */
export function serveArgs(configPath: string): string[] {
  return ['--import', 'tsx', join(REPO_ROOT, 'src/main.ts'), 'serve', '--config', configPath];
}

export interface SpawnOptions {
  /** RLIMIT_FSIZE of the process (prlimit): no file it writes grows past this many bytes, as on a full disk. */
  readonly fileSizeLimit?: number;
}

export async function spawnDnsward(
  dir: string,
  configPath: string,
  dbPath: string,
  options: SpawnOptions = {},
): Promise<Dnsward> {
  const node = [process.execPath, ...serveArgs(configPath)];
  const command =
    options.fileSizeLimit === undefined
      ? node
      : ['prlimit', `--fsize=${options.fileSizeLimit}`, '--', ...node];
  const [file = process.execPath, ...args] = command;
  const proc = startProcess(file, args, {
    ...process.env,
    NODE_OPTIONS: '',
  });
  let port = 0;
  await waitFor(
    () => {
      const match = /"udp":\[(\d+)/.exec(proc.output());
      if (match) port = Number(match[1]);
      if (proc.child.exitCode !== null) throw new Error(`dnsward exited:\n${proc.output()}`);
      return port > 0;
    },
    20_000,
    'dnsward to listen',
  );
  return { port, dir, dbPath, configPath, output: proc.output, stop: proc.stop, process: proc };
}

/** The metrics port a running server logged (config metrics.listen "127.0.0.1:0"). */
export function metricsPort(server: Dnsward): number {
  const port = Number(/"metrics":(\d+)/.exec(server.output())?.[1]);
  if (!(port > 0)) throw new Error('the server logged no metrics port (metrics.listen unset?)');
  return port;
}

/** One scrape of the server's /metrics, parsed. */
export async function scrapeMetrics(server: Dnsward): Promise<Exposition> {
  const res = await fetch(`http://127.0.0.1:${metricsPort(server)}/metrics`);
  return parseExposition(await res.text());
}
