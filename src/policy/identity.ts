// Identity: client address -> Agent through CIDR rules, most specific prefix wins; unknown -> default group.
import type { Agent, Tier } from '../model/agent.js';
import { addressToBigInt, mask, parsePrefix, type Family } from '../lib/cidr.js';

export interface IdentityRule {
  readonly cidr: string;
  readonly group: string;
  readonly tier: Tier;
  /** Agent id for the whole prefix; when absent the client address is the agent id. */
  readonly agent: string | undefined;
}

interface PrefixTable {
  readonly bits: number;
  readonly mask: bigint;
  readonly rules: Map<bigint, IdentityRule>;
}

/** Bounded so a spoofed-source flood cannot grow memory; cleared whole when full. */
const MEMO_LIMIT = 65_536;

export class IdentityTable {
  private readonly tables: Record<Family, PrefixTable[]> = { 4: [], 6: [] };
  private readonly memo = new Map<string, Agent>();

  /** Throws a message naming the bad CIDR; duplicate prefixes are an error (which one would win?). */
  constructor(
    rules: readonly IdentityRule[],
    private readonly unknown: { group: string; tier: Tier },
  ) {
    for (const rule of rules) {
      const prefix = parsePrefix(rule.cidr);
      if (!prefix) throw new Error(`"${rule.cidr}" is not an IP address or CIDR`);
      const tables = this.tables[prefix.family];
      let table = tables.find((t) => t.bits === prefix.bits);
      if (!table) {
        table = { bits: prefix.bits, mask: mask(prefix.family, prefix.bits), rules: new Map() };
        tables.push(table);
        tables.sort((a, b) => b.bits - a.bits);
      }
      const clash = table.rules.get(prefix.network);
      if (clash) throw new Error(`"${rule.cidr}" is claimed by groups "${clash.group}" and "${rule.group}"`);
      table.rules.set(prefix.network, rule);
    }
  }

  identify(address: string): Agent {
    const known = this.memo.get(address);
    if (known) return known;
    const agent = this.resolve(address);
    if (this.memo.size >= MEMO_LIMIT) this.memo.clear();
    this.memo.set(address, agent);
    return agent;
  }

  private resolve(address: string): Agent {
    const parsed = addressToBigInt(address);
    if (parsed) {
      for (const table of this.tables[parsed.family]) {
        const rule = table.rules.get(parsed.value & table.mask);
        if (rule) return { id: rule.agent ?? canonical(address), group: rule.group, tier: rule.tier };
      }
    }
    return { id: canonical(address), group: this.unknown.group, tier: this.unknown.tier };
  }
}

function canonical(address: string): string {
  return address.toLowerCase().startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
