// An alert in the JSON shape scripts rely on (DESIGN.md "Interfaces"), from the engine's working copy.
import type { Alert, AlertStatus, Exposure, Severity } from '../model/alert.js';

/** What the shape needs of an alert (the engine's AlertState fits); times in epoch ms. */
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
  };
}
