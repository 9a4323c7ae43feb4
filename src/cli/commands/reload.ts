// `dnsward reload`: validate the config, then SIGHUP the running server named by its pid file.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { DnswardError } from '../../errors.js';
import { compilePolicy } from '../../policy/compile.js';
import { exitWith, processIo, type CommandIo } from '../command-io.js';
import { looksLikeServe, pidFilePath, readPid } from '../pid-file.js';

export interface ReloadOptions {
  readonly config?: string | undefined;
  readonly pidFile?: string | undefined;
  readonly check: boolean;
}

/** `dnsward reload`: 1 when the config does not compile (nothing signalled), else SIGHUP to the server. */
export function reload(options: ReloadOptions, io: CommandIo = processIo): number {
  const loaded = loadConfig(options.config);
  if (options.check) {
    try {
      compilePolicy(loaded);
    } catch (error) {
      if (!(error instanceof DnswardError)) throw error;
      for (const line of error.details.length > 0 ? error.details : [error.message]) {
        io.out(`${line}\n`);
      }
      io.out('not reloaded: the running server keeps its policy; fix the lines above\n');
      return 1;
    }
  }
  const path = options.pidFile === undefined ? pidFilePath(loaded.config) : resolve(options.pidFile);
  if (path === null) {
    throw new DnswardError(
      'DNSWARD_ERR_USAGE',
      'store.pidFile is false: pass --pid-file, or send SIGHUP yourself',
    );
  }
  const pid = readPid(path);
  if (!looksLikeServe(pid)) {
    throw new DnswardError(
      'DNSWARD_ERR_NOT_FOUND',
      `process ${pid} from ${path} is not dnsward serve (stale pid file?); not signalled`,
    );
  }
  try {
    process.kill(pid, 'SIGHUP');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DnswardError(
      'DNSWARD_ERR_NOT_FOUND',
      code === 'ESRCH'
        ? `no process ${pid} (from ${path}): dnsward serve is not running (stale pid file)`
        : `cannot signal process ${pid}: ${code ?? String(error)}`,
    );
  }
  io.out(
    `sent SIGHUP to dnsward (pid ${pid}); the server logs the result, and dnsward_policy_reloads_total counts it\n`,
  );
  return 0;
}

export function registerReload(program: Command): void {
  program
    .command('reload')
    .description('validate the config, then tell the running server to reload it (SIGHUP via its pid file)')
    .option(
      '-c, --config <file>',
      'YAML config file: validated first, and its store.pidFile / store.path locate the pid file',
    )
    .option(
      '--pid-file <file>',
      'pid file written by `dnsward serve` (default: dnsward.pid beside the database)',
    )
    .option('--no-check', 'signal without validating the config first')
    .action((options: ReloadOptions) => exitWith(reload(options)));
}
