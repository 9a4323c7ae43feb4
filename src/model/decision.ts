// Decision: what policy says about a query, always with the rule that said it and why.

export type DenyRcode = 'NXDOMAIN' | 'REFUSED';

export type Decision =
  | { readonly kind: 'allow'; readonly ruleId: string; readonly reason: string }
  /** Denied and never forwarded. */
  | { readonly kind: 'deny'; readonly rcode: DenyRcode; readonly ruleId: string; readonly reason: string }
  /** Audit mode: enforce would deny, but the query is forwarded so a rollout can see what would break. */
  | {
      readonly kind: 'would-deny';
      readonly rcode: DenyRcode;
      readonly ruleId: string;
      readonly reason: string;
    }
  /** Over a rate limit: REFUSED, or no answer at all. Enforced in audit mode too: it protects the resolver. */
  | {
      readonly kind: 'rate-limited';
      readonly action: 'refuse' | 'drop';
      readonly ruleId: string;
      readonly reason: string;
    };

export type DecisionKind = Decision['kind'];

/** A decision that sends the query upstream. */
export function forwards(decision: Decision): boolean {
  return decision.kind === 'allow' || decision.kind === 'would-deny';
}
