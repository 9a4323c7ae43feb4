// Retry delays after failures: exponential from `baseMs`, capped at `maxMs`, with jitter so that replicas (or
// scopes) that failed together do not retry in step; reset() after a success starts again from the base.

export interface BackoffOptions {
  readonly baseMs: number;
  readonly maxMs: number;
  /** [0, 1): a random number; injectable for tests. */
  readonly random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly random: () => number;

  constructor(private readonly options: BackoffOptions) {
    this.random = options.random ?? Math.random;
  }

  /** Failures since the last reset. */
  get failures(): number {
    return this.attempt;
  }

  /**
   * The delay before the next try: the capped exponential step, of which the upper half is random ("equal
   * jitter": never less than half the step, so a tight loop is impossible, yet replicas spread out).
   */
  next(): number {
    const step = Math.min(this.options.maxMs, this.options.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(step / 2 + (step / 2) * this.random());
  }

  reset(): void {
    this.attempt = 0;
  }
}
