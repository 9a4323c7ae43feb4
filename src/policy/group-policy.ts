// GroupPolicy: one group's compiled rules, and the decision for a query from one of its agents.
import type { Tier } from '../model/agent.js';
import type { Decision, DenyRcode } from '../model/decision.js';
import type { AllowlistEntry } from './allowlist-file.js';
import { isDohResolver } from './doh-resolvers.js';
import type { NameTrie } from './name-trie.js';

export interface GroupPolicyInit {
  readonly name: string;
  readonly tier: Tier;
  readonly mode: 'enforce' | 'audit';
  readonly denyRcode: DenyRcode;
  readonly qtypes: ReadonlySet<number>;
  readonly trie: NameTrie<AllowlistEntry>;
  readonly entries: readonly AllowlistEntry[];
}

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
  private readonly trie: NameTrie<AllowlistEntry>;
  // decisions are built once so the answer path allocates none
  private readonly allowByEntry = new Map<AllowlistEntry, Decision>();
  private readonly denied: Record<'zeroEgress' | 'badName' | 'doh' | 'qtype' | 'notListed', Decision>;

  constructor(init: GroupPolicyInit) {
    this.name = init.name;
    this.tier = init.tier;
    this.mode = init.mode;
    this.denyRcode = init.denyRcode;
    this.qtypes = init.qtypes;
    this.entries = init.entries;
    this.trie = init.trie;
    for (const entry of init.entries) {
      this.allowByEntry.set(entry, Object.freeze({ kind: 'allow', ruleId: entry.id, reason: 'allowlisted' }));
    }
    const deny = (ruleId: string, reason: string): Decision =>
      Object.freeze({
        kind: init.mode === 'audit' ? 'would-deny' : 'deny',
        rcode: init.denyRcode,
        ruleId,
        reason,
      });
    this.denied = {
      zeroEgress: deny(`${init.name}/tier1`, 'zero-egress-tier'),
      badName: deny(`${init.name}/hostname`, 'not-a-hostname'),
      doh: deny(`${init.name}/doh-resolvers`, 'doh-resolver'),
      qtype: deny(`${init.name}/qtypes`, 'qtype-not-allowed'),
      notListed: deny(`${init.name}/default-deny`, 'not-allowlisted'),
    };
  }

  /** `name` is the lower-cased presentation name; `now` is epoch ms (expired entries stop matching). */
  decide(name: string, qtype: number, now: number): Decision {
    if (this.tier === 1) return this.denied.zeroEgress;
    // escaped bytes ("\\DDD", "\\.") cannot be in a hostname, so no allowlist entry can cover them
    if (name.includes('\\')) return this.denied.badName;
    const entry = this.trie.lookup(name, (candidate) => candidate.expiresAt > now);
    if (isDohResolver(name) && (entry === undefined || entry.wildcard)) return this.denied.doh;
    if (!this.qtypes.has(qtype)) return this.denied.qtype;
    if (entry === undefined) return this.denied.notListed;
    return this.allowByEntry.get(entry) ?? this.denied.notListed;
  }
}
