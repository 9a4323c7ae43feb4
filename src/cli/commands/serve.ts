// `dnsward serve`: run the resolver until SIGTERM/SIGINT; SIGHUP reloads config and allowlists.
import { resolve as resolvePath } from 'node:path';
import type { Command } from 'commander';
import { createLogger } from '../../log/logger.js';
import { startServer } from '../../server.js';
import { collect, parseMode } from '../options.js';
import { pidFilePath, removePidFile, writePidFile } from '../pid-file.js';

interface ServeOptions {
  config?: string;
  listen?: string;
  upstream: string[];
  allowlist: string[];
  mode?: 'enforce' | 'audit';
  db?: string;
  metrics?: string;
  logLevel?: string;
  pidFile?: string;
  watch: boolean;
}

/** "--metrics 9153" or ":9153" listen on loopback: metrics name groups and allowlist entries. */
function metricsAddress(text: string): string {
  const port = /^:?(\d+)$/.exec(text.trim())?.[1];
  return port === undefined ? text : `127.0.0.1:${port}`;
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
    .option(
      '--db <url>',
      'store: SQLite file, sqlite:<path> or postgres://… (overrides store.url / store.path)',
    )
    .option('--metrics <addr:port>', 'metrics/health HTTP listener (overrides metrics.listen)')
    .option('--log-level <level>', 'log level (overrides log.level)')
    .option('--pid-file <file>', 'pid file for `dnsward reload` (overrides store.pidFile)')
    .option(
      '--no-watch',
      'reload on SIGHUP / `dnsward reload` only, not when config or allowlist files change',
    )
    .action(async (options: ServeOptions) => {
      const log = createLogger(options.logLevel ?? 'info');
      // SIGHUP before the server is up must not kill it (the default action): reload once it is up
      const sighup: { pending: boolean; reload?: () => void } = { pending: false };
      process.on('SIGHUP', () => {
        if (sighup.reload) sighup.reload();
        else sighup.pending = true;
      });
      const server = await startServer({
        configFile: options.config,
        overrides: {
          listen: options.listen,
          upstream: options.upstream,
          allowlist: options.allowlist,
          mode: options.mode,
          db: options.db,
          metrics: options.metrics === undefined ? undefined : metricsAddress(options.metrics),
        },
        watch: options.watch,
        log,
      });
      if (options.logLevel === undefined) log.level = server.loaded.config.log.level;
      sighup.reload = () => server.reload('signal');
      if (sighup.pending) sighup.reload();
      const pidFile =
        options.pidFile === undefined ? pidFilePath(server.loaded.config) : resolvePath(options.pidFile);
      if (pidFile !== null) {
        try {
          writePidFile(pidFile);
        } catch (error) {
          log.warn(
            { pidFile, err: error },
            'cannot write the pid file: `dnsward reload` will not find this server',
          );
        }
      }
      await new Promise<void>((resolve) => {
        const stop = (signal: string): void => {
          log.info({ signal }, 'shutting down');
          if (pidFile !== null) removePidFile(pidFile);
          void server.close().then(resolve);
        };
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
    });
}
