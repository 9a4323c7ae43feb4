// A CommandIo that keeps what a command wrote, for the CLI unit tests.
import type { CommandIo } from '../../../src/cli/command-io.js';

export interface CapturedIo extends CommandIo {
  readonly stdout: () => string;
  readonly stderr: () => string;
}

export function captureIo(now = Date.now()): CapturedIo {
  let stdout = '';
  let stderr = '';
  return {
    out: (text) => (stdout += text),
    err: (text) => (stderr += text),
    now: () => now,
    stdout: () => stdout,
    stderr: () => stderr,
  };
}
