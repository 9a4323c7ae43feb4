// A size-capped map with two generations (the quick-lru scheme): O(1) operations, memory bounded by capacity.

/**
 * Least-recently-used cache in two generations: new and refreshed entries go to the current generation;
 * when it holds capacity/2 entries it becomes the old one and the previous old generation is dropped whole.
 * An entry read from the old generation moves back to the current one. So the most recent capacity/2 entries
 * are always kept and never more than `capacity` are held. (A Map used as a queue, deleting from its front,
 * degrades badly in V8: deleted slots at the front are rescanned on every eviction.)
 */
export class Lru<K, V> {
  private current = new Map<K, V>();
  private old = new Map<K, V>();
  private readonly half: number;
  /** Entries dropped because the cap was reached (exposed for metrics and the flood test). */
  evictions = 0;

  constructor(
    readonly capacity: number,
    private readonly onEvict?: (key: K, value: V) => void,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('Lru capacity must be >= 1');
    this.half = Math.max(1, Math.floor(capacity / 2));
  }

  get size(): number {
    return this.current.size + this.old.size;
  }

  get(key: K): V | undefined {
    const value = this.current.get(key);
    if (value !== undefined) return value;
    const aged = this.old.get(key);
    if (aged !== undefined) {
      this.old.delete(key);
      this.insert(key, aged);
    }
    return aged;
  }

  /** Reads without refreshing recency. */
  peek(key: K): V | undefined {
    return this.current.get(key) ?? this.old.get(key);
  }

  has(key: K): boolean {
    return this.current.has(key) || this.old.has(key);
  }

  set(key: K, value: V): void {
    if (this.current.has(key)) {
      this.current.set(key, value);
      return;
    }
    this.old.delete(key);
    this.insert(key, value);
  }

  delete(key: K): boolean {
    const a = this.current.delete(key);
    const b = this.old.delete(key);
    return a || b;
  }

  /** Drops every entry `expired` says is stale (a full scan: call it rarely). Returns how many. */
  expire(expired: (value: V) => boolean): number {
    let dropped = 0;
    for (const map of [this.old, this.current]) {
      for (const [key, value] of map) {
        if (expired(value)) {
          map.delete(key);
          dropped++;
        }
      }
    }
    return dropped;
  }

  *values(): IterableIterator<V> {
    yield* this.old.values();
    yield* this.current.values();
  }

  private insert(key: K, value: V): void {
    if (this.current.size >= this.half) {
      this.evictions += this.old.size;
      if (this.onEvict) for (const [k, v] of this.old) this.onEvict(k, v);
      this.old = this.current;
      this.current = new Map();
    }
    this.current.set(key, value);
  }
}
