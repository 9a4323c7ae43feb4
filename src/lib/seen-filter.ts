// Cache admission: a fixed table of string fingerprints answering "seen recently?" without allocating.
import { hash53 } from './hash.js';

/**
 * Remembers a 32-bit fingerprint of each string in one of 2^bits slots (a later string with the same slot
 * overwrites it). Caches admit a key on its second sighting, so names seen once (a tunnel's, a flood of
 * random subdomains) are not kept: retaining them costs more (map churn, GC promotion) than recomputing.
 * A false "seen" (2^-32 per check) only admits a key early; a lost slot only delays admission.
 */
export class SeenFilter {
  private readonly slots: Int32Array;
  private readonly mask: number;

  constructor(bits = 16) {
    this.slots = new Int32Array(1 << bits);
    this.mask = (1 << bits) - 1;
  }

  /** True when `text` was recorded since its slot was last overwritten; records it either way. */
  seenBefore(text: string): boolean {
    const h = hash53(text);
    const slot = (h / 4294967296) & this.mask; // high bits pick the slot, low 32 bits are the fingerprint
    const fingerprint = h | 0;
    if (this.slots[slot] === fingerprint) return true;
    this.slots[slot] = fingerprint;
    return false;
  }
}
