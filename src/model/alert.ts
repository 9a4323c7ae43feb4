import type { PodIdentity } from './agent.js';

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
  /** The agent's pod when the alert was last updated (null outside Kubernetes). */
  namespace: string | null;
  pod: string | null;
  podUid: string | null;
  serviceAccount: string | null;
}

/** What the alert JSON shape needs of an alert held in memory (times in epoch ms); the engine's AlertState fits. */
export interface AlertSnapshot {
  readonly rule: string;
  readonly severity: Severity;
  readonly agentId: string;
  readonly group: string;
  readonly clientIp: string;
  readonly podIdentity?: PodIdentity | undefined;
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

/** The alert in the JSON shape scripts rely on (DESIGN.md "Interfaces"). */
export function alertJson(alert: AlertSnapshot, id: number): Alert {
  return {
    id,
    rule: alert.rule,
    severity: alert.severity,
    agentId: alert.agentId,
    group: alert.group,
    clientIp: alert.clientIp,
    baseDomain: alert.baseDomain,
    firstSeen: new Date(alert.firstSeenMs).toISOString(),
    lastSeen: new Date(alert.lastSeenMs).toISOString(),
    count: alert.count,
    score: alert.score,
    exposure: alert.exposure,
    bytesLeaked: alert.bytesLeaked,
    bytesAttempted: alert.bytesAttempted,
    samples: [...alert.samples],
    features: { ...alert.features },
    status: alert.status,
    namespace: alert.podIdentity?.namespace ?? null,
    pod: alert.podIdentity?.pod ?? null,
    podUid: alert.podIdentity?.podUid ?? null,
    serviceAccount: alert.podIdentity?.serviceAccount ?? null,
  };
}

/** A mute written by `dnsward alerts mute`: matches by base domain (or a parent of it) and/or agent. */
export interface Mute {
  readonly domain: string | null;
  readonly agentId: string | null;
  readonly reason: string;
  /** Epoch ms, or null = until removed. */
  readonly untilMs: number | null;
}

/** The engine's working copy of an alert; times in epoch ms (the model Alert uses ISO strings). */
export interface AlertState {
  /** Deterministic id within this engine: creation order (replay prints it). */
  readonly localId: number;
  /** Row id once the repository stored it. */
  dbId: number | null;
  readonly rule: string;
  severity: Severity;
  readonly agentId: string;
  group: string;
  clientIp: string;
  podIdentity?: PodIdentity | undefined;
  readonly baseDomain: string;
  readonly firstSeenMs: number;
  lastSeenMs: number;
  count: number;
  score: number;
  exposure: Exposure;
  bytesLeaked: number;
  bytesAttempted: number;
  samples: string[];
  features: Record<string, number | string | boolean>;
  status: AlertStatus;
  statusReason: string | null;
  mutedUntilMs: number | null;
}
