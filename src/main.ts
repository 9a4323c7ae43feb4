// Bin entry: builds the CLI, runs it, maps DnswardError codes to exit codes.
import { CommanderError } from 'commander';
import { buildProgram } from './cli/program.js';
import { DnswardError, type ErrorCode } from './errors.js';

const EXIT_CODES: Partial<Record<ErrorCode, number>> = { DNSWARD_ERR_USAGE: 2 };

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // commander's usage errors (unknown option, missing argument) exit 2, like ours; help and version exit 0
    process.exitCode =
      error.exitCode === 1 && error.code !== 'commander.executeSubCommandAsync' ? 2 : error.exitCode;
  } else if (error instanceof DnswardError) {
    process.stderr.write(`dnsward: ${error.message}\n`);
    for (const line of error.details) process.stderr.write(`${line}\n`);
    process.exitCode = EXIT_CODES[error.code] ?? 1;
  } else {
    process.stderr.write(
      `dnsward: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  }
}
