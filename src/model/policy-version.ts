// PolicyVersion: a policy put in force by one replica (at start or by a reload), the evidence of which allowlists
// applied when; stored by every engine and read by `dnsward report`.
import type { Tier } from './agent.js';

export interface PolicyGroupSummary {
  readonly name: string;
  readonly tier: Tier;
  readonly mode: 'enforce' | 'audit';
  /** Allowlist entries in force. */
  readonly entries: number;
}

/** What put the policy in force: the server starting, or the reload trigger. */
export type PolicyLoadTrigger = 'start' | 'signal' | 'file-change' | 'api';

export interface PolicyLoad {
  /** The policy's content hash (dnsward_policy_info, `reload` output). */
  readonly version: string;
  /** Epoch ms. */
  readonly loadedAt: number;
  readonly trigger: PolicyLoadTrigger;
  readonly groups: readonly PolicyGroupSummary[];
}

/** A stored load, with the replica (store.instance) that made it. */
export interface PolicyVersion extends PolicyLoad {
  readonly instance: string;
}
