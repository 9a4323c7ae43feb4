// `dnsward serve`: run the resolver until SIGTERM/SIGINT; SIGHUP reloads config and allowlists.
import type { Command } from 'commander';
import { createLogger } from '../../log/logger.js';
import { startServer } from '../../server.js';
import { collect, parseMode } from '../options.js';

interface ServeOptions {
  config?: string;
  listen?: string;
  upstream: string[];
  allowlist: string[];
  mode?: 'enforce' | 'audit';
  db?: string;
  metrics?: string;
  logLevel?: string;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the resolver (embedded default config when no --config is given)')
    .option('-c, --config <file>', 'YAML config file')
    .option('--listen <addr:port>', 'UDP+TCP listen address (overrides listen.udp/tcp)')
    .option(
      '--upstream <addr:port>',
      'default upstream, repeatable (overrides upstreams.default)',
      collect,
      [],
    )
    .option('--allowlist <file>', 'allowlist for the default group, repeatable', collect, [])
    .option('--mode <mode>', 'enforce | audit, for the default group', parseMode)
    .option('--db <file>', 'SQLite database (overrides store.path)')
    .option('--metrics <addr:port>', 'metrics/health HTTP listener (overrides metrics.listen)')
    .option('--log-level <level>', 'log level (overrides log.level)')
    .action(async (options: ServeOptions) => {
      const log = createLogger(options.logLevel ?? 'info');
      const server = await startServer({
        configFile: options.config,
        overrides: {
          listen: options.listen,
          upstream: options.upstream,
          allowlist: options.allowlist,
          mode: options.mode,
          db: options.db,
          metrics: options.metrics,
        },
        log,
      });
      if (options.logLevel === undefined) log.level = server.loaded.config.log.level;
      process.on('SIGHUP', () => server.reload());
      await new Promise<void>((resolve) => {
        const stop = (signal: string): void => {
          log.info({ signal }, 'shutting down');
          void server.close().then(resolve);
        };
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
    });
}
