// Bounded answer cache keyed by name/type/class/DO; TTLs respected, negative answers per RFC 2308.
import type { Query } from '../model/query.js';
import type { UpstreamAnswer } from './upstream-answer.js';

export interface CachedAnswer {
  readonly wire: Buffer;
  readonly ttlOffsets: readonly number[];
  /** TTL values as received, parallel to ttlOffsets. */
  readonly ttls: readonly number[];
  readonly storedAt: number;
  readonly expiresAt: number;
  readonly rcode: number;
  readonly answerCount: number;
  readonly cnameTargets: readonly string[];
  /** A/AAAA addresses as text and their smallest TTL as received (for the egress answer sets). */
  readonly addresses: readonly string[];
  readonly addressTtl: number;
  readonly upstream: string;
}

export interface CacheLimits {
  readonly maxEntries: number;
  readonly maxTtl: number;
  readonly negativeMaxTtl: number;
}

export function cacheKey(query: Query): string {
  return `${query.name}|${query.qtype}|${query.qclass}|${query.dnssecOk ? 1 : 0}`;
}

/** An answer in the cache's shape (also for answers not cached, so one code path builds every reply). */
export function toCachedAnswer(
  answer: UpstreamAnswer,
  upstream: string,
  now: number,
  expiresAt = now,
): CachedAnswer {
  return {
    wire: Buffer.from(answer.wire),
    ttlOffsets: answer.ttlOffsets,
    ttls: answer.ttlOffsets.map((offset) => answer.wire.readUInt32BE(offset)),
    storedAt: now,
    expiresAt,
    rcode: answer.rcode,
    answerCount: answer.answerCount,
    cnameTargets: answer.cnameTargets,
    addresses: answer.addresses,
    addressTtl: answer.addressTtl,
    upstream,
  };
}

/** Oldest-inserted entries are evicted first when full; expired entries are dropped when read. */
export class AnswerCache {
  private readonly entries = new Map<string, CachedAnswer>();
  hits = 0;
  misses = 0;

  constructor(private readonly limits: CacheLimits) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string, now: number): CachedAnswer | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt > now) {
      this.hits++;
      return entry;
    }
    if (entry) this.entries.delete(key);
    this.misses++;
    return undefined;
  }

  set(key: string, answer: UpstreamAnswer, upstream: string, now: number): CachedAnswer | undefined {
    if (answer.cacheTtl === null || this.limits.maxEntries === 0) return undefined;
    const negative = answer.answerCount === 0;
    const ttl = Math.min(answer.cacheTtl, negative ? this.limits.negativeMaxTtl : this.limits.maxTtl);
    if (ttl <= 0) return undefined;
    const entry = toCachedAnswer(answer, upstream, now, now + ttl * 1000);
    if (!this.entries.has(key) && this.entries.size >= this.limits.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, entry);
    return entry;
  }

  clear(): void {
    this.entries.clear();
  }
}
