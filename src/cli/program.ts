// The commander tree: one file per command under commands/, registered here.
import { Command } from 'commander';
import { registerConfigCheck } from './commands/config-check.js';
import { registerQueries } from './commands/queries.js';
import { registerServe } from './commands/serve.js';

export function buildProgram(): Command {
  const program = new Command('dnsward')
    .description('Default-deny DNS resolver with DNS-tunnelling detection for AI-agent fleets')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  registerServe(program);
  registerConfigCheck(program);
  registerQueries(program);
  return program;
}
