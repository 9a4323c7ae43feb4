// ConnectionDetector: a rule over agent connections (egress.conntrack), one file under detectors/ as for queries.
import type { ConnectionEvent } from '../model/connection-event.js';
import type { RuleHit } from './detector.js';

export interface ConnectionDetector {
  /** Rule id = file name = alert `rule` column = metric label. */
  readonly id: string;
  /** Sees connections in arrival order; `hit.baseDomain` is the alert key (a destination, or "*"). */
  observe(event: ConnectionEvent): RuleHit | null;
}
