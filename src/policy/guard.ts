// Guard: the stateful limits around policy — rate limits per agent and per (agent, base domain), and
// exfiltration budgets that bound what even an allowlisted wildcard can carry.
import { BaseDomainResolver } from '../lib/base-domain.js';
import type { Agent } from '../model/agent.js';
import type { Decision } from '../model/decision.js';
import { ExfilBudgets } from './exfil-budget.js';
import type { GroupPolicy } from './group-policy.js';
import { QuarantineBook } from './quarantine-book.js';
import { TokenBuckets } from './token-buckets.js';

export class Guard {
  private readonly perAgent: TokenBuckets;
  private readonly perDomain: TokenBuckets;
  private readonly budgets: ExfilBudgets;
  private readonly domains = new BaseDomainResolver();

  /** `quarantines` is read on every query (one Map miss for agents without one). */
  constructor(
    stateEntries: number,
    private readonly quarantines: QuarantineBook = new QuarantineBook(),
  ) {
    this.perAgent = new TokenBuckets(stateEntries);
    this.perDomain = new TokenBuckets(stateEntries);
    this.budgets = new ExfilBudgets(stateEntries);
  }

  /** Before policy: quarantined or rate-limited, or null to go on. */
  admit(agent: Agent, group: GroupPolicy, name: string, now: number): Decision | null {
    if (this.quarantines.blocks(agent.id, name, (n) => this.baseOf(n), now)) return group.denied.quarantined;
    const limit = group.guard.rateLimit;
    if (!limit) return null;
    if (!this.perAgent.take(agent.id, limit, now)) return group.rateLimited.agent;
    if (limit.perDomain && !this.perDomain.take(`${agent.id}|${this.baseOf(name)}`, limit.perDomain, now)) {
      return group.rateLimited.domain;
    }
    return null;
  }

  /**
   * After policy allowed a name: false when it is a new name past the (agent, base domain) budget, or past
   * the (agent, wildcard entry) budget of the entry that allowed it.
   */
  withinBudget(agent: Agent, group: GroupPolicy, name: string, decision: Decision, now: number): boolean {
    const wildcard = group.wildcardBudget(decision);
    if (wildcard !== undefined) {
      const cut = name.length - wildcard.suffixLength - 1;
      const subdomain = cut > 0 ? name.slice(0, cut) : '';
      if (!this.budgets.spend(`${agent.id}|${wildcard.id}`, subdomain, wildcard.limit, now)) return false;
    }
    const budget = group.guard.budget;
    if (!budget) return true;
    const base = this.baseOf(name);
    const subdomain = name.length > base.length ? name.slice(0, name.length - base.length - 1) : '';
    return this.budgets.spend(`${agent.id}|${base}`, subdomain, budget, now);
  }

  private baseOf(name: string): string {
    if (name.includes('\\') || name === '.' || name === '') return name.split('.').slice(-2).join('.');
    return this.domains.resolve(name).base;
  }
}
