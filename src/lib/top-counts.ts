// Counts per key with bounded memory, for "top N" tables over long windows: exact while fewer than `capacity`
// distinct keys were seen; past that the least counted half is forgotten (a tunnel asks millions of unique names)
// and the result is marked approximate.

export interface Counted<T> {
  readonly key: string;
  readonly count: number;
  readonly data: T;
}

export class TopCounts<T> {
  private readonly entries = new Map<string, { count: number; data: T }>();
  /** True once keys were forgotten: a count may then be an undercount. */
  approximate = false;

  constructor(private readonly capacity = 50_000) {}

  /** Counts one occurrence of `key`; returns its data (made by `make` on first sight) for the caller to update. */
  add(key: string, make: () => T): T {
    let entry = this.entries.get(key);
    if (entry === undefined) {
      if (this.entries.size >= this.capacity) this.forgetLowerHalf();
      entry = { count: 0, data: make() };
      this.entries.set(key, entry);
    }
    entry.count++;
    return entry.data;
  }

  /** The `n` most counted, ties by key. */
  top(n: number): Counted<T>[] {
    return this.sorted()
      .slice(0, n)
      .map(([key, e]) => ({ key, count: e.count, data: e.data }));
  }

  private sorted(): [string, { count: number; data: T }][] {
    return [...this.entries].sort(
      (a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0),
    );
  }

  private forgetLowerHalf(): void {
    for (const [key] of this.sorted().slice(Math.floor(this.capacity / 2))) this.entries.delete(key);
    this.approximate = true;
  }
}
