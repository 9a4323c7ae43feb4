// The commander tree: one file per command under commands/, registered here.
import { Command } from 'commander';

export function buildProgram(): Command {
  const program = new Command('dnsward')
    .description('Default-deny DNS resolver with DNS-tunnelling detection for AI-agent fleets')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  return program;
}
