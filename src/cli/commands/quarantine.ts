// `dnsward quarantine list|release`: see and lift the containment a running server applied.
import type { Command } from 'commander';
import { DnswardError } from '../../errors.js';
import type { Quarantine } from '../../model/quarantine.js';
import { processIo, type CommandIo } from '../command-io.js';
import { CONFIG_OPTION, DB_OPTION, withCliStore, type StoreTargetOptions } from '../store-target.js';
import { formatRows, selectFormat } from '../output.js';

const COLUMNS = ['id', 'agentId', 'group', 'scope', 'baseDomain', 'createdAt', 'until', 'status', 'reason'];

function view(q: Quarantine, now: number): Record<string, string | number | null> {
  const status = q.releasedAt !== null ? 'released' : q.until <= now ? 'expired' : 'active';
  return {
    ...q,
    createdAt: new Date(q.createdAt).toISOString(),
    until: new Date(q.until).toISOString(),
    releasedAt: q.releasedAt === null ? null : new Date(q.releasedAt).toISOString(),
    status,
  };
}

export interface QuarantineListOptions extends StoreTargetOptions {
  readonly all?: boolean | undefined;
  readonly json?: boolean | undefined;
  readonly csv?: boolean | undefined;
}

export interface QuarantineReleaseOptions extends StoreTargetOptions {
  readonly agent?: string | undefined;
}

/** `quarantine list`: active quarantines (all with --all). */
export async function quarantineList(
  options: QuarantineListOptions,
  io: CommandIo = processIo,
): Promise<void> {
  const format = selectFormat(options);
  await withCliStore(options, true, async (store) => {
    const now = io.now();
    const repo = store.quarantines;
    const rows = (options.all ? await repo.all() : await repo.active(now)).map((q) => view(q, now));
    io.out(formatRows(rows, format === 'table' ? COLUMNS : Object.keys(rows[0] ?? {}), format));
  });
}

/** `quarantine release`: by id, or every active quarantine of `--agent`. */
export async function quarantineRelease(
  id: string | undefined,
  options: QuarantineReleaseOptions,
  io: CommandIo = processIo,
): Promise<void> {
  if ((id === undefined) === (options.agent === undefined)) {
    throw new DnswardError('DNSWARD_ERR_USAGE', 'give a quarantine id or --agent, not both');
  }
  await withCliStore(options, false, async (store) => {
    const released = await store.quarantines.release(
      id !== undefined ? { id: Number(id) } : { agentId: options.agent ?? '' },
      io.now(),
    );
    if (released === 0) throw new DnswardError('DNSWARD_ERR_NOT_FOUND', 'no active quarantine matched');
    io.out(`released ${released} quarantine(s)\n`);
  });
}

export function registerQuarantine(program: Command): void {
  const quarantine = program.command('quarantine').description('agents and domains contained after an alert');
  quarantine
    .command('list')
    .description('active quarantines (with --all, also released and expired ones)')
    .option(...DB_OPTION)
    .option(...CONFIG_OPTION)
    .option('--all', 'include released and expired quarantines')
    .option('--json', 'JSON array')
    .option('--csv', 'CSV')
    .action((options: QuarantineListOptions) => quarantineList(options));
  quarantine
    .command('release')
    .description(
      'lift a quarantine by id, or every quarantine of an agent (a running server applies it within seconds)',
    )
    .argument('[id]', 'quarantine id')
    .option('--agent <id>', 'release every active quarantine of this agent')
    .option(...DB_OPTION)
    .option(...CONFIG_OPTION)
    .action((id: string | undefined, options: QuarantineReleaseOptions) => quarantineRelease(id, options));
}
