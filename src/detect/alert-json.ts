// An alert in the JSON shape scripts rely on (DESIGN.md "Interfaces"), from the engine's working copy.
import type { Alert, AlertSnapshot } from '../model/alert.js';

export type { AlertSnapshot };

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
