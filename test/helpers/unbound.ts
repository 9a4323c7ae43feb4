// A real unbound on a loopback port, authoritative-only for a test zone (it never recurses anywhere).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dig } from './dig.js';
import { freePort } from './ports.js';
import { startProcess, waitFor, type Running } from './processes.js';

export interface Unbound {
  readonly port: number;
  /** Names unbound was asked for (lower-case, no trailing dot), from its query log. */
  readonly queriesSeen: () => string[];
  readonly stop: () => Promise<void>;
}

/** `localData` lines are unbound local-data RRs, e.g. "api.test.example. 300 IN A 192.0.2.10". */
/** `extra` are more unbound server-clause lines, e.g. `local-zone: "t.example." redirect` (every name below answers alike). */
/** `inside`: run in that network namespace on `addresses` port 53 (test/helpers/netns.ts) instead of loopback. */
export async function startUnbound(
  zone: string,
  localData: readonly string[],
  extra: readonly string[] = [],
  inside?: { readonly netns: string; readonly addresses: readonly string[] },
): Promise<Unbound> {
  const dir = mkdtempSync(join(tmpdir(), 'dnsward-unbound-'));
  const port = inside ? 53 : await freePort();
  const log = join(dir, 'unbound.log');
  writeFileSync(log, '');
  const conf = [
    'server:',
    ...(inside?.addresses ?? ['127.0.0.1']).map((address) => `  interface: ${address}@${port}`),
    '  do-daemonize: no',
    '  username: ""',
    '  chroot: ""',
    `  directory: "${dir}"`,
    `  pidfile: "${join(dir, 'unbound.pid')}"`,
    '  use-syslog: no',
    `  logfile: "${log}"`,
    '  log-queries: yes',
    '  verbosity: 1',
    `  access-control: ${inside ? '0.0.0.0/0' : '127.0.0.0/8'} allow`,
    '  do-ip6: no',
    '  num-threads: 1',
    '  module-config: "iterator"',
    // refuse everything outside the test zone, so nothing ever leaves this machine
    '  local-zone: "." refuse',
    `  local-zone: "${zone}." static`,
    ...extra.map((line) => `  ${line}`),
    ...localData.map((rr) => `  local-data: '${rr}'`),
  ].join('\n');
  const confPath = join(dir, 'unbound.conf');
  writeFileSync(confPath, `${conf}\n`);
  const argv = ['unbound', '-d', '-c', confPath];
  const proc: Running = inside
    ? startProcess('ip', ['netns', 'exec', inside.netns, ...argv])
    : startProcess('unbound', argv.slice(1));
  await waitFor(
    async () =>
      inside
        ? readFileSync(log, 'utf8').includes('start of service')
        : (await dig(port, zone, { type: 'SOA' })).status !== 'TIMEOUT',
    10_000,
    `unbound on ${port}`,
  ).catch((error: unknown) => {
    void proc.stop();
    throw new Error(`${String(error)}\n${proc.output()}\n${readFileSync(log, 'utf8')}`);
  });
  return {
    port,
    queriesSeen() {
      return readFileSync(log, 'utf8')
        .split('\n')
        .map((line) => /info: \S+ (\S+)\. \S+ IN/.exec(line)?.[1]?.toLowerCase())
        .filter((name): name is string => name !== undefined);
    },
    stop: () => proc.stop(),
  };
}
