// GroupPolicy: one group's compiled rules, and the decision for a query from one of its agents.
import type { GroupConfig } from '../config/sections/groups.js';
import type { Tier } from '../model/agent.js';
import type { Decision, DenyRcode } from '../model/decision.js';
import type { AllowlistEntry } from './allowlist-file.js';
import { isDohResolver } from '../lib/doh-resolvers.js';
import { isStrictHostname } from './hostname.js';
import type { NameTrie } from '../lib/name-trie.js';
import type { BudgetLimit } from './exfil-budget.js';

/** The budget of one wildcard entry: its key in the guard's table and the suffix length names are cut at. */
export interface WildcardBudget {
  readonly id: string;
  readonly suffixLength: number;
  readonly limit: BudgetLimit;
}

export interface CompiledRules {
  readonly qtypes: ReadonlySet<number>;
  readonly trie: NameTrie<AllowlistEntry>;
  readonly entries: readonly AllowlistEntry[];
}

type DenialKind = 'zeroEgress' | 'badName' | 'doh' | 'qtype' | 'notListed' | 'budget' | 'quarantined';

/**
 * Rules in order, first terminal match wins:
 * tier 1 denies all; names that cannot be hostnames never match; DoH/DoT resolvers are denied unless
 * listed exactly; qtypes outside the group's set are denied; then the allowlist; then default deny.
 */
export class GroupPolicy {
  readonly name: string;
  readonly tier: Tier;
  readonly mode: 'enforce' | 'audit';
  readonly denyRcode: DenyRcode;
  readonly qtypes: ReadonlySet<number>;
  readonly entries: readonly AllowlistEntry[];
  /** Limits and containment the stateful Guard applies for this group. */
  readonly guard: Pick<GroupConfig, 'rateLimit' | 'budget' | 'quarantine' | 'cnames' | 'maxAnswerBytes'>;
  /** Allow decisions of wildcard entries -> their new-name budget (entries with the budget off are absent). */
  private readonly wildcardBudgets = new Map<Decision, WildcardBudget>();
  private readonly strictNames: boolean;
  private readonly trie: NameTrie<AllowlistEntry>;
  // decisions are built once so the answer path allocates none
  private readonly allowByEntry = new Map<AllowlistEntry, Decision>();
  readonly denied: Readonly<Record<DenialKind, Decision>>;
  readonly rateLimited: Readonly<Record<'agent' | 'domain', Decision>>;

  constructor(config: GroupConfig, rules: CompiledRules) {
    this.name = config.name;
    this.tier = config.tier;
    this.mode = config.mode;
    this.denyRcode = config.denyRcode;
    this.qtypes = rules.qtypes;
    this.entries = rules.entries;
    this.trie = rules.trie;
    this.strictNames = config.strictNames;
    this.guard = {
      rateLimit: config.rateLimit,
      budget: config.budget,
      quarantine: config.quarantine,
      cnames: config.cnames,
      maxAnswerBytes: config.maxAnswerBytes,
    };
    for (const entry of rules.entries) {
      const allow: Decision = Object.freeze({ kind: 'allow', ruleId: entry.id, reason: 'allowlisted' });
      this.allowByEntry.set(entry, allow);
      const budget = entry.wildcard ? wildcardLimit(config.wildcardBudget, entry.budget) : null;
      if (budget !== null) {
        this.wildcardBudgets.set(allow, { id: entry.id, suffixLength: entry.name.length, limit: budget });
      }
    }
    const deny = (ruleId: string, reason: string): Decision =>
      Object.freeze({
        kind: config.mode === 'audit' ? 'would-deny' : 'deny',
        rcode: config.denyRcode,
        ruleId: `${config.name}/${ruleId}`,
        reason,
      });
    this.denied = {
      zeroEgress: deny('tier1', 'zero-egress-tier'),
      badName: deny('hostname', 'not-a-hostname'),
      doh: deny('doh-resolvers', 'doh-resolver'),
      qtype: deny('qtypes', 'qtype-not-allowed'),
      notListed: deny('default-deny', 'not-allowlisted'),
      budget: deny('budget', 'budget-exceeded'),
      quarantined: deny('quarantine', 'quarantined'),
    };
    const action = config.rateLimit?.action ?? 'refuse';
    this.rateLimited = {
      agent: Object.freeze({
        kind: 'rate-limited',
        action,
        ruleId: `${config.name}/rate-limit`,
        reason: 'rate-limited',
      }),
      domain: Object.freeze({
        kind: 'rate-limited',
        action,
        ruleId: `${config.name}/rate-limit-domain`,
        reason: 'rate-limited-domain',
      }),
    };
  }

  /** `name` is the lower-cased presentation name; `now` is epoch ms (expired entries stop matching). */
  decide(name: string, qtype: number, now: number): Decision {
    if (this.tier === 1) return this.denied.zeroEgress;
    // escaped bytes ("\\DDD", "\\.") cannot be in a hostname, so no allowlist entry can cover them
    if (name.includes('\\') || (this.strictNames && !isStrictHostname(name))) return this.denied.badName;
    const entry = this.trie.lookup(name, (candidate) => candidate.expiresAt > now);
    if (isDohResolver(name) && (entry === undefined || entry.wildcard)) return this.denied.doh;
    if (!this.qtypes.has(qtype)) return this.denied.qtype;
    if (entry === undefined) return this.denied.notListed;
    return this.allowByEntry.get(entry) ?? this.denied.notListed;
  }

  /** The new-name budget behind an allow decision, when a wildcard entry with a budget made it. */
  wildcardBudget(decision: Decision): WildcardBudget | undefined {
    return this.wildcardBudgets.get(decision);
  }

  /** Whether `name` is covered by an unexpired allowlist entry (CNAME targets under `cnames: require-allowed`). */
  allows(name: string, now: number): boolean {
    return this.trie.lookup(name, (candidate) => candidate.expiresAt > now) !== undefined;
  }
}

/** The group's wildcard budget with the entry's overrides; null when either turns it off. */
function wildcardLimit(
  group: GroupConfig['wildcardBudget'],
  entry: AllowlistEntry['budget'],
): BudgetLimit | null {
  if (group === false || entry === false) return null;
  return {
    window: entry?.window ?? group.window,
    uniqueSubdomains: entry?.uniqueSubdomains ?? group.uniqueSubdomains,
    bytes: entry?.bytes ?? group.bytes,
  };
}
