// `dnsward reload`: validate the config, then SIGHUP the running server named by its pid file. Also the pid
// file helpers `dnsward serve` uses to write and remove it.
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { DnswardError } from '../../errors.js';
import { compilePolicy } from '../../policy/compile.js';

export const PID_FILE_NAME = 'dnsward.pid';

/** `store.pidFile`, else dnsward.pid beside the database; null when disabled (`pidFile: false`). */
export function pidFilePath(config: Config): string | null {
  const { pidFile, path } = config.store;
  if (pidFile === false) return null;
  if (pidFile !== null) return resolve(pidFile);
  return path === ':memory:' ? resolve(PID_FILE_NAME) : join(dirname(resolve(path)), PID_FILE_NAME);
}

/** Writes our pid; a failure (read-only directory) only costs `dnsward reload` (kill -HUP still works). */
export function writePidFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${process.pid}\n`);
}

/** Removes the pid file if it still names this process (a newer server may have replaced it). */
export function removePidFile(path: string): void {
  try {
    if (readPid(path) === process.pid) unlinkSync(path);
  } catch {
    // already gone
  }
}

function readPid(path: string): number {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new DnswardError(
      'DNSWARD_ERR_NOT_FOUND',
      `cannot read pid file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)} (is dnsward serve running with this config? see --pid-file)`,
    );
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 1) {
    throw new DnswardError('DNSWARD_ERR_NOT_FOUND', `pid file ${path} does not hold a process id`);
  }
  return pid;
}

/** On Linux, refuse to signal a process that is not `dnsward serve` (a stale pid file after pid reuse). */
function looksLikeServe(pid: number): boolean {
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return true; // no procfs (macOS) or already gone: kill() below reports ESRCH
  }
  return cmdline.split('\0').includes('serve');
}

interface ReloadOptions {
  config?: string;
  pidFile?: string;
  check: boolean;
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
    .action((options: ReloadOptions) => {
      const loaded = loadConfig(options.config);
      if (options.check) {
        try {
          compilePolicy(loaded);
        } catch (error) {
          if (!(error instanceof DnswardError)) throw error;
          for (const line of error.details.length > 0 ? error.details : [error.message]) {
            process.stdout.write(`${line}\n`);
          }
          process.stdout.write('not reloaded: the running server keeps its policy; fix the lines above\n');
          process.exitCode = 1;
          return;
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
      process.stdout.write(
        `sent SIGHUP to dnsward (pid ${pid}); the server logs the result, and dnsward_policy_reloads_total counts it\n`,
      );
    });
}
