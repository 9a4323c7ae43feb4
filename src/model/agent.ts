// Agent: who sent a query, as identity rules resolve a client address.

export type Tier = 1 | 2 | 3 | 4;

export interface Agent {
  /** Stable agent id from the identity rule, or the client address when the rule names none. */
  readonly id: string;
  /** Group whose policy applies. */
  readonly group: string;
  readonly tier: Tier;
}
