// The pid file of `dnsward serve`: where it is, writing and removing it, and reading it back for `dnsward reload`.
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import { DnswardError } from '../errors.js';

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

export function readPid(path: string): number {
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
export function looksLikeServe(pid: number): boolean {
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return true; // no procfs (macOS) or already gone: kill() below reports ESRCH
  }
  return cmdline.split('\0').includes('serve');
}
