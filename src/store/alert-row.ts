// An alerts table row (the same columns on SQLite and PostgreSQL) and its one mapping to the alert record.
import type { PodIdentity } from '../model/agent.js';
import type { AlertStatus, Exposure, Severity, StoredAlertRecord } from '../model/alert.js';

export interface AlertRow {
  id: number;
  rule: string;
  severity: Severity;
  agent_id: string;
  grp: string;
  client_ip: string;
  namespace: string | null;
  pod: string | null;
  pod_uid: string | null;
  service_account: string | null;
  base_domain: string;
  first_seen: number;
  last_seen: number;
  count: number;
  score: number;
  exposure: Exposure;
  bytes_leaked: number;
  bytes_attempted: number;
  samples: string;
  features: string;
  status: AlertStatus;
  status_reason: string | null;
  muted_until: number | null;
  acked_at: number | null;
}

/** An alert row's pod columns as the record's identity (all four are written together, or none). */
export function podIdentity(row: {
  readonly namespace: string | null;
  readonly pod: string | null;
  readonly pod_uid: string | null;
  readonly service_account: string | null;
}): PodIdentity | undefined {
  if (row.namespace === null || row.pod === null) return undefined;
  return {
    namespace: row.namespace,
    pod: row.pod,
    podUid: row.pod_uid ?? '',
    serviceAccount: row.service_account ?? '',
  };
}

/** The one row -> record mapping, both engines (the record -> row ones are each engine's own parameters). */
export function toRecord(row: AlertRow): StoredAlertRecord {
  return {
    id: row.id,
    rule: row.rule,
    severity: row.severity,
    agentId: row.agent_id,
    group: row.grp,
    clientIp: row.client_ip,
    baseDomain: row.base_domain,
    firstSeenMs: row.first_seen,
    lastSeenMs: row.last_seen,
    count: row.count,
    score: row.score,
    exposure: row.exposure,
    bytesLeaked: row.bytes_leaked,
    bytesAttempted: row.bytes_attempted,
    samples: JSON.parse(row.samples) as string[],
    features: JSON.parse(row.features) as Record<string, number | string | boolean>,
    status: row.status,
    podIdentity: podIdentity(row),
    statusReason: row.status_reason,
    mutedUntilMs: row.muted_until,
    ackedAtMs: row.acked_at,
  };
}
