// Agent: who sent a query, as identity rules resolve a client address.

export type Tier = 1 | 2 | 3 | 4;

export interface Agent {
  /** Stable agent id from the identity rule, or the client address when the rule names none. */
  readonly id: string;
  /** Group whose policy applies. */
  readonly group: string;
  readonly tier: Tier;
  /** The Kubernetes pod that asked, when the pod watch knows the address (absent outside Kubernetes). */
  readonly pod?: PodIdentity | undefined;
}

/** Who a pod is, as the Kubernetes API says: what events, alerts and the query log carry beside the agent id. */
export interface PodIdentity {
  readonly namespace: string;
  readonly pod: string;
  readonly podUid: string;
  readonly serviceAccount: string;
}
