// `dnsward store migrate|check`: bring a store's schema up to date, and see whether it is reachable and current.
import type { Command } from 'commander';
import { DnswardError } from '../../errors.js';
import {
  CONFIG_OPTION,
  DB_OPTION,
  openCliStore,
  withCliStore,
  type StoreTargetOptions,
} from '../store-target.js';
import { formatJson, formatRecord } from '../output.js';

export function registerStore(program: Command): void {
  const store = program.command('store').description('the store: schema migrations and health');
  store
    .command('migrate')
    .description('apply the schema migrations this build ships (several replicas may run it at once)')
    .option(...DB_OPTION)
    .option(...CONFIG_OPTION)
    .action(async (options: StoreTargetOptions) => {
      // opening for writing migrates (under an advisory lock on PostgreSQL)
      const opened = await openCliStore(options, false);
      try {
        const status = await opened.check();
        process.stdout.write(`${status.engine}: schema version ${String(status.schemaVersion)}\n`);
      } finally {
        await opened.close();
      }
    });
  store
    .command('check')
    .description('connectivity, schema version and the age of the newest query-log row; exit 1 when behind')
    .option(...DB_OPTION)
    .option(...CONFIG_OPTION)
    .option('--json', 'JSON object')
    .action(async (options: StoreTargetOptions & { json?: boolean }) => {
      const status = await withCliStore(options, true, (s) => s.check());
      const now = Date.now();
      const report = {
        engine: status.engine,
        reachable: true,
        schemaVersion: status.schemaVersion,
        latestVersion: status.latestVersion,
        newestRow: status.newestRowMs === null ? null : new Date(status.newestRowMs).toISOString(),
        lagSeconds:
          status.newestRowMs === null ? null : Math.max(0, Math.round((now - status.newestRowMs) / 1000)),
      };
      process.stdout.write(options.json ? formatJson(report) : formatRecord(report));
      if (status.schemaVersion < status.latestVersion) {
        throw new DnswardError(
          'DNSWARD_ERR_STORE',
          `schema version ${String(status.schemaVersion)} is behind ${String(status.latestVersion)}: run dnsward store migrate`,
        );
      }
    });
}
