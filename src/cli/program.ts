// The commander tree: one file per command under commands/, registered here.
import { Command } from 'commander';
import { registerAlerts } from './commands/alerts.js';
import { registerAllowlist } from './commands/allowlist.js';
import { registerConfigCheck } from './commands/config-check.js';
import { registerQuarantine } from './commands/quarantine.js';
import { registerQueries } from './commands/queries.js';
import { registerConnections } from './commands/connections.js';
import { registerReload } from './commands/reload.js';
import { registerReplay } from './commands/replay.js';
import { registerReport } from './commands/report.js';
import { registerServe } from './commands/serve.js';
import { registerStore } from './commands/store.js';

export function buildProgram(): Command {
  const program = new Command('dnsward')
    .description('Default-deny DNS resolver with DNS-tunnelling detection for AI-agent fleets')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  registerServe(program);
  registerConfigCheck(program);
  registerQueries(program);
  registerConnections(program);
  registerReload(program);
  registerAllowlist(program);
  registerAlerts(program);
  registerReplay(program);
  registerQuarantine(program);
  registerReport(program);
  registerStore(program);
  return program;
}
