// One shared copy of each repeated value (strings, frozen label sets): tens of thousands of objects parsed from
// JSON each carry their own copy of "default", "Running" or a label set otherwise.

/** Bounded: past `capacity` distinct values the table starts again (later values simply stop being shared). */
export class Interner<T> {
  private readonly table = new Map<string, T>();

  constructor(private readonly capacity = 65_536) {}

  get size(): number {
    return this.table.size;
  }

  /** The shared copy of the value `key` stands for; `make` builds it the first time. */
  intern(key: string, make: () => T): T {
    const known = this.table.get(key);
    if (known !== undefined) return known;
    if (this.table.size >= this.capacity) this.table.clear();
    const value = make();
    this.table.set(key, value);
    return value;
  }
}

/** Interns strings: the key is the value. */
export class StringInterner {
  private readonly strings: Interner<string>;

  constructor(capacity?: number) {
    this.strings = new Interner<string>(capacity);
  }

  get size(): number {
    return this.strings.size;
  }

  intern(value: string): string;
  intern(value: string | undefined): string | undefined;
  intern(value: string | undefined): string | undefined {
    return value === undefined ? undefined : this.strings.intern(value, () => value);
  }
}
