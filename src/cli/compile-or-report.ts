// Commands that need the compiled policy (allowlist stale|suggest, report): config problems are printed as
// "file:line field: message" lines (exit 1), like `config check`.
import type { LoadedConfig } from '../config/load.js';
import { DnswardError } from '../errors.js';
import { compilePolicy, type Policy } from '../policy/compile.js';
import type { CommandIo } from './command-io.js';

export function compileOrReport(loaded: LoadedConfig, io: CommandIo): Policy | null {
  try {
    return compilePolicy(loaded);
  } catch (error) {
    if (!(error instanceof DnswardError)) throw error;
    for (const line of error.details.length > 0 ? error.details : [error.message]) {
      io.err(`${line}\n`);
    }
    io.err('fix these first (`dnsward allowlist check` lists every problem)\n');
    return null;
  }
}
