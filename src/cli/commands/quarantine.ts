// `dnsward quarantine list|release`: see and lift the containment a running server applied.
import type { Command } from 'commander';
import { DnswardError } from '../../errors.js';
import type { Quarantine } from '../../model/quarantine.js';
import { CONFIG_OPTION, DB_OPTION, withCliStore } from '../store-target.js';
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
    .action(
      async (options: { db?: string; config?: string; all?: boolean; json?: boolean; csv?: boolean }) => {
        const format = selectFormat(options);
        await withCliStore(options, true, async (store) => {
          const now = Date.now();
          const repo = store.quarantines;
          const rows = (options.all ? await repo.all() : await repo.active(now)).map((q) => view(q, now));
          process.stdout.write(
            formatRows(rows, format === 'table' ? COLUMNS : Object.keys(rows[0] ?? {}), format),
          );
        });
      },
    );
  quarantine
    .command('release')
    .description(
      'lift a quarantine by id, or every quarantine of an agent (a running server applies it within seconds)',
    )
    .argument('[id]', 'quarantine id')
    .option('--agent <id>', 'release every active quarantine of this agent')
    .option(...DB_OPTION)
    .option(...CONFIG_OPTION)
    .action(async (id: string | undefined, options: { db?: string; config?: string; agent?: string }) => {
      if ((id === undefined) === (options.agent === undefined)) {
        throw new DnswardError('DNSWARD_ERR_USAGE', 'give a quarantine id or --agent, not both');
      }
      await withCliStore(options, false, async (store) => {
        const released = await store.quarantines.release(
          id !== undefined ? { id: Number(id) } : { agentId: options.agent ?? '' },
          Date.now(),
        );
        if (released === 0) throw new DnswardError('DNSWARD_ERR_NOT_FOUND', 'no active quarantine matched');
        process.stdout.write(`released ${released} quarantine(s)\n`);
      });
    });
}
