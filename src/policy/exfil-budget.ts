// Exfiltration budget per (agent, base domain): new unique subdomains and their bytes per window, even on
// allowlisted wildcards. Names seen before the budget ran out keep resolving; new ones are denied.
import { Lru } from '../lib/lru.js';

export interface BudgetLimit {
  readonly window: number;
  readonly uniqueSubdomains: number;
  readonly bytes: number;
}

interface Usage {
  windowStart: number;
  names: Set<string>;
  bytes: number;
}

export class ExfilBudgets {
  private readonly usage: Lru<string, Usage>;

  constructor(capacity: number) {
    this.usage = new Lru(capacity);
  }

  get size(): number {
    return this.usage.size;
  }

  /**
   * Records `subdomain` (the part left of the base domain) for `key`; false when it is new and the window's
   * budget is already spent. Each key holds at most `uniqueSubdomains` names, so memory stays bounded.
   */
  spend(key: string, subdomain: string, limit: BudgetLimit, now: number): boolean {
    let usage = this.usage.get(key);
    if (!usage || now - usage.windowStart >= limit.window) {
      usage = { windowStart: now, names: new Set(), bytes: 0 };
      this.usage.set(key, usage);
    }
    if (subdomain === '' || usage.names.has(subdomain)) return true;
    if (usage.names.size >= limit.uniqueSubdomains || usage.bytes + subdomain.length > limit.bytes)
      return false;
    usage.names.add(subdomain);
    usage.bytes += subdomain.length;
    return true;
  }
}
