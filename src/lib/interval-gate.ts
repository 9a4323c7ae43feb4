// Lets a repeated message through once per interval per key and counts what it held back (log spam guard).

export class IntervalGate {
  private readonly last = new Map<string, { at: number; held: number }>();

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Returns undefined while `key` passed less than intervalMs ago (the call is counted), else the number of
   * calls held back since the last pass.
   */
  pass(key: string): number | undefined {
    const t = this.now();
    const seen = this.last.get(key);
    if (seen && t - seen.at < this.intervalMs) {
      seen.held++;
      return undefined;
    }
    this.last.set(key, { at: t, held: 0 });
    return seen?.held ?? 0;
  }
}
