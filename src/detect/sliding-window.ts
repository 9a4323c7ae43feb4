// Bucketed sliding-window sums over several channels sharing one time slicing: O(1) add/read, fixed memory.

/**
 * Sums of values added in the last `windowMs`, per channel, kept in `buckets` time slices. Time comes from
 * the caller (event timestamps), so replaying the same events gives the same sums. The window is exact to
 * one slice: a sum covers between (buckets-1)/buckets and all of `windowMs`. Values older than the window
 * are ignored; slightly late ones land in their own slice.
 */
export class SlidingWindow {
  private readonly slots: Float64Array;
  private readonly sums: Float64Array;
  private readonly sliceMs: number;
  /** Index (time / sliceMs) of the newest slice. */
  private head = -1;

  /**
   * `storage`/`offset` let several windows share one buffer (one allocation per key instead of one per
   * window); it needs `SlidingWindow.size(buckets, channels)` doubles from `offset`.
   */
  constructor(
    windowMs: number,
    private readonly buckets: number,
    private readonly channels: number,
    storage?: Float64Array,
    offset = 0,
  ) {
    const buffer = storage ?? new Float64Array(SlidingWindow.size(buckets, channels));
    this.slots = buffer.subarray(offset, offset + buckets * channels);
    this.sums = buffer.subarray(offset + buckets * channels, offset + SlidingWindow.size(buckets, channels));
    this.sliceMs = Math.max(1, Math.ceil(windowMs / buckets));
  }

  /** Doubles one window needs in a shared buffer. */
  static size(buckets: number, channels: number): number {
    return buckets * channels + channels;
  }

  add(ts: number, channel: number, value = 1): void {
    const slice = Math.floor(ts / this.sliceMs);
    this.advance(slice);
    if (slice <= this.head - this.buckets) return;
    const i = (slice % this.buckets) * this.channels + channel;
    this.slots[i] = (this.slots[i] ?? 0) + value;
    this.sums[channel] = (this.sums[channel] ?? 0) + value;
  }

  /** Sum of `channel` over the window ending at `ts`. */
  sum(ts: number, channel: number): number {
    this.advance(Math.floor(ts / this.sliceMs));
    const s = this.sums[channel] ?? 0;
    // floating-point residue of add/subtract cycles must never read as a count
    return s < 1e-6 ? 0 : s;
  }

  private advance(slice: number): void {
    if (slice <= this.head) return;
    if (this.head < 0 || slice - this.head >= this.buckets) {
      this.slots.fill(0);
      this.sums.fill(0);
    } else {
      for (let s = this.head + 1; s <= slice; s++) {
        const base = (s % this.buckets) * this.channels;
        for (let c = 0; c < this.channels; c++) {
          this.sums[c] = (this.sums[c] ?? 0) - (this.slots[base + c] ?? 0);
          this.slots[base + c] = 0;
        }
      }
    }
    this.head = slice;
  }
}
