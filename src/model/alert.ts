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

/**
 * The one alert record held in memory (times in epoch ms): what detection builds, the stages write, the JSON view
 * shows. A new alert field is added here, in the store's repository and in a migration; nothing else.
 */
export interface AlertRecord {
  readonly rule: string;
  severity: Severity;
  readonly agentId: string;
  group: string;
  clientIp: string;
  /** The agent's pod when the alert was last updated (absent outside Kubernetes). */
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

/** An alert as the store holds it: the record with its row id and when it was acknowledged. */
export interface StoredAlertRecord extends AlertRecord {
  readonly id: number;
  readonly ackedAtMs: number | null;
}

/** The engine's working copy of an alert. */
export interface AlertState extends AlertRecord {
  /** Deterministic id within this engine: creation order (replay prints it). */
  readonly localId: number;
  /** Row id once the repository stored it. */
  dbId: number | null;
}

/** A new open alert seen once at `ms`; the rest of the record starts empty unless given. */
export function newAlert(
  fields: Pick<
    AlertRecord,
    'rule' | 'severity' | 'agentId' | 'group' | 'clientIp' | 'baseDomain' | 'score' | 'exposure'
  > &
    Partial<AlertRecord>,
  ms: number,
): AlertRecord {
  return {
    firstSeenMs: ms,
    lastSeenMs: ms,
    count: 1,
    bytesLeaked: 0,
    bytesAttempted: 0,
    samples: [],
    features: {},
    status: 'open',
    statusReason: null,
    mutedUntilMs: null,
    ...fields,
  };
}

/** A stored alert as the engine's working copy again (restart: dedupe continues on the same rows). */
export function trackAlert(alert: StoredAlertRecord, localId: number): AlertState {
  const state: AlertState & { id?: number; ackedAtMs?: number | null } = {
    ...alert,
    samples: [...alert.samples],
    features: { ...alert.features },
    localId,
    dbId: alert.id,
  };
  delete state.id;
  delete state.ackedAtMs;
  return state;
}

/** The alert in the JSON shape scripts rely on (DESIGN.md "Interfaces"). */
export function alertJson(alert: Readonly<AlertRecord>, id: number): Alert {
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

/** An alert as the CLI shows it: the JSON shape plus the status details. */
export interface StoredAlert extends Alert {
  statusReason: string | null;
  /** ISO 8601, or null. */
  mutedUntil: string | null;
  ackedAt: string | null;
}

export function storedAlertJson(alert: StoredAlertRecord): StoredAlert {
  const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
  return {
    ...alertJson(alert, alert.id),
    statusReason: alert.statusReason,
    mutedUntil: iso(alert.mutedUntilMs),
    ackedAt: iso(alert.ackedAtMs),
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
