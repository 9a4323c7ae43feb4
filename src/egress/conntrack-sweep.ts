// Makes the kernel report ended connections promptly: a conntrack table dump evicts the expired entries it meets
// (and each eviction is a DESTROY event), where the kernel's own sweep may come up to a minute later.
import { spawn } from 'node:child_process';
import type { Logger } from '../log/logger.js';

export class ConntrackSweep {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private failures = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.intervalMs > 0) this.timer = setInterval(() => this.sweep(), this.intervalMs).unref();
  }

  close(): void {
    clearInterval(this.timer);
  }

  private sweep(): void {
    if (this.running) return;
    this.running = true;
    // the listing itself is not read: only its side effect on expired entries matters
    const child = spawn('conntrack', ['-L', '-o', 'id'], { stdio: 'ignore' });
    const done = (ok: boolean): void => {
      this.running = false;
      if (!ok && this.failures++ % 100 === 0)
        this.log.warn({ failures: this.failures }, 'egress: conntrack -L failed');
    };
    child.once('error', () => done(false));
    child.once('close', (code) => done(code === 0));
  }
}
