// A real NSD on a loopback port, authoritative for one test zone given as zone-file text (it never recurses).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dig } from './dig.js';
import { freePort } from './ports.js';
import { startProcess, waitFor, type Running } from './processes.js';

export interface Nsd {
  readonly port: number;
  readonly stop: () => Promise<void>;
}

/** `records` are zone-file lines relative to `zone` (an SOA and NS are added); `address` is where it listens. */
export async function startNsd(
  zone: string,
  records: readonly string[],
  address = '127.0.0.1',
): Promise<Nsd> {
  const dir = mkdtempSync(join(tmpdir(), 'dnsward-nsd-'));
  const port = await freePort();
  const zoneFile = join(dir, `${zone}.zone`);
  writeFileSync(
    zoneFile,
    [
      `$ORIGIN ${zone}.`,
      '$TTL 60',
      `@ IN SOA ns.${zone}. hostmaster.${zone}. 1 3600 600 86400 30`,
      `@ IN NS ns.${zone}.`,
      'ns IN A 192.0.2.53',
      ...records,
      '',
    ].join('\n'),
  );
  const conf = join(dir, 'nsd.conf');
  writeFileSync(
    conf,
    [
      'server:',
      `  ip-address: ${address}@${port}`,
      '  username: ""',
      '  chroot: ""',
      `  zonesdir: "${dir}"`,
      `  pidfile: "${join(dir, 'nsd.pid')}"`,
      `  logfile: "${join(dir, 'nsd.log')}"`,
      `  xfrdfile: "${join(dir, 'xfrd.state')}"`,
      `  xfrdir: "${dir}"`,
      `  zonelistfile: "${join(dir, 'zone.list')}"`,
      '  database: ""',
      '  server-count: 1',
      '  verbosity: 1',
      'remote-control:',
      '  control-enable: no',
      'zone:',
      `  name: "${zone}"`,
      `  zonefile: "${zoneFile}"`,
      '',
    ].join('\n'),
  );
  const proc: Running = startProcess('nsd', ['-d', '-c', conf]);
  await waitFor(
    async () => (await dig(port, zone, { type: 'SOA' }, address)).status === 'NOERROR',
    10_000,
    `nsd on ${port}`,
  ).catch((error: unknown) => {
    void proc.stop();
    throw new Error(`${String(error)}\n${proc.output()}\n${readFileSync(join(dir, 'nsd.log'), 'utf8')}`);
  });
  return {
    port,
    async stop() {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
