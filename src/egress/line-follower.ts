// A long-running tool's stdout read line by line (`conntrack -E`), restarted after a delay if it exits.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Logger } from '../log/logger.js';

const RESTART_DELAY_MS = 2000;

export class LineFollower {
  private child: ChildProcess | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Times the tool was (re)started. */
  starts = 0;

  constructor(
    private readonly command: string,
    private readonly args: readonly string[],
    private readonly onLine: (line: string) => void,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.closed) return;
    this.starts++;
    const child = spawn(this.command, this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    createInterface({ input: child.stdout }).on('line', this.onLine);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < 2000) stderr += chunk;
    });
    child.once('error', (error) =>
      this.log.error({ err: error, command: this.command }, 'egress: cannot run'),
    );
    child.once('close', (code, signal) => {
      this.child = undefined;
      if (this.closed) return;
      this.log.error(
        { command: this.command, code, signal, stderr: stderr.trim() },
        'egress: follower exited; restarting',
      );
      this.timer = setTimeout(() => this.start(), RESTART_DELAY_MS).unref();
    });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.child?.kill('SIGTERM');
  }
}
