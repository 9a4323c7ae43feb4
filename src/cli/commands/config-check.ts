// `dnsward config check`: validate config + allowlists; exit 1 with "file:line field: message" lines.
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { DnswardError } from '../../errors.js';
import { compilePolicy } from '../../policy/compile.js';
import { collect } from '../options.js';

export function registerConfigCheck(program: Command): void {
  const config = program.command('config').description('configuration tools');
  config
    .command('check')
    .description('validate the config and every allowlist it names; exit 0 when valid, 1 otherwise')
    .option('-c, --config <file>', 'YAML config file (default: the embedded default)')
    .option('--allowlist <file>', 'allowlist for the default group, repeatable', collect, [])
    .action((options: { config?: string; allowlist: string[] }) => {
      try {
        const policy = compilePolicy(loadConfig(options.config, { allowlist: options.allowlist }));
        for (const warning of policy.warnings) process.stdout.write(`warning: ${warning}\n`);
        const entries = [...policy.groups.values()].reduce((n, g) => n + g.entries.length, 0);
        process.stdout.write(
          `ok: ${policy.groups.size} group(s), ${entries} allowlist entries, policy ${policy.version}\n`,
        );
      } catch (error) {
        if (!(error instanceof DnswardError)) throw error;
        const lines = error.details.length > 0 ? error.details : [error.message];
        for (const line of lines) process.stdout.write(`${line}\n`);
        process.exitCode = 1;
      }
    });
}
