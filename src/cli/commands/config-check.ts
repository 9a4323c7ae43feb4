// `dnsward config check`: validate config + allowlists; exit 1 with "file:line field: message" lines.
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { DnswardError } from '../../errors.js';
import { compilePolicy } from '../../policy/compile.js';
import { exitWith, processIo, type CommandIo } from '../command-io.js';
import { collect } from '../options.js';

export interface ConfigCheckOptions {
  readonly config?: string | undefined;
  readonly allowlist: readonly string[];
}

/** `config check`: 0 with a summary when config and allowlists compile, 1 with file:line lines otherwise. */
export function configCheck(options: ConfigCheckOptions, io: CommandIo = processIo): number {
  try {
    const policy = compilePolicy(loadConfig(options.config, { allowlist: options.allowlist }));
    for (const warning of policy.warnings) io.out(`warning: ${warning}\n`);
    const entries = [...policy.groups.values()].reduce((n, g) => n + g.entries.length, 0);
    io.out(`ok: ${policy.groups.size} group(s), ${entries} allowlist entries, policy ${policy.version}\n`);
  } catch (error) {
    if (!(error instanceof DnswardError)) throw error;
    const lines = error.details.length > 0 ? error.details : [error.message];
    for (const line of lines) io.out(`${line}\n`);
    return 1;
  }
  return 0;
}

export function registerConfigCheck(program: Command): void {
  const config = program.command('config').description('configuration tools');
  config
    .command('check')
    .description('validate the config and every allowlist it names; exit 0 when valid, 1 otherwise')
    .option('-c, --config <file>', 'YAML config file (default: the embedded default)')
    .option('--allowlist <file>', 'allowlist for the default group, repeatable', collect, [])
    .action((options: ConfigCheckOptions) => exitWith(configCheck(options)));
}
