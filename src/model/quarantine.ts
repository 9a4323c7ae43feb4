// Quarantine: an agent or (agent, base domain) held to deny-all after an alert, until a time or a release.

export interface Quarantine {
  readonly id: number;
  readonly agentId: string;
  readonly group: string;
  readonly scope: 'agent' | 'domain';
  /** Null for scope "agent". */
  readonly baseDomain: string | null;
  readonly createdAt: number;
  readonly until: number;
  readonly reason: string;
  readonly alertId: number | null;
  readonly releasedAt: number | null;
}

export type NewQuarantine = Omit<Quarantine, 'id' | 'releasedAt'>;
