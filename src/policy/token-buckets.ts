// Token buckets keyed by agent (or agent + base domain), in a bounded LRU so a spoofed-source flood cannot grow memory.
import { Lru } from '../lib/lru.js';

export interface BucketLimit {
  readonly qps: number;
  readonly burst: number;
}

interface Bucket {
  tokens: number;
  last: number;
}

export class TokenBuckets {
  private readonly buckets: Lru<string, Bucket>;

  constructor(capacity: number) {
    this.buckets = new Lru(capacity);
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Takes one token; false when the bucket is empty. An evicted key starts again with a full bucket. */
  take(key: string, limit: BucketLimit, now: number): boolean {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { tokens: limit.burst, last: now };
      this.buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(limit.burst, bucket.tokens + ((now - bucket.last) * limit.qps) / 1000);
      bucket.last = now;
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
