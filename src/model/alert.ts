// Finding and Alert: what a detector says about one query, and the deduplicated record analysts work.

export type Severity = 'low' | 'medium' | 'high' | 'critical';

export const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

export type Exposure = 'forwarded' | 'blocked';

export type AlertStatus = 'open' | 'acked' | 'muted';

export interface Finding {
  readonly rule: string;
  readonly severity: Severity;
  readonly score: number;
  /** Feature values that fired, for the analyst. */
  readonly features: Readonly<Record<string, number | string | boolean>>;
}

export interface Alert {
  id: number;
  rule: string;
  severity: Severity;
  agentId: string;
  group: string;
  clientIp: string;
  baseDomain: string;
  /** ISO 8601. */
  firstSeen: string;
  lastSeen: string;
  count: number;
  score: number;
  exposure: Exposure;
  bytesLeaked: number;
  bytesAttempted: number;
  samples: string[];
  features: Record<string, number | string | boolean>;
  status: AlertStatus;
}

/** What the alert JSON shape needs of an alert held in memory (times in epoch ms); the engine's AlertState fits. */
export interface AlertSnapshot {
  readonly rule: string;
  readonly severity: Severity;
  readonly agentId: string;
  readonly group: string;
  readonly clientIp: string;
  readonly baseDomain: string;
  readonly firstSeenMs: number;
  readonly lastSeenMs: number;
  readonly count: number;
  readonly score: number;
  readonly exposure: Exposure;
  readonly bytesLeaked: number;
  readonly bytesAttempted: number;
  readonly samples: readonly string[];
  readonly features: Readonly<Record<string, number | string | boolean>>;
  readonly status: AlertStatus;
}
