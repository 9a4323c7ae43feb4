// QueryEvent: one record per query answered, allowed or denied; emitted after the answer is sent.
import type { PodIdentity, Tier } from './agent.js';
import type { Transport } from './query.js';

/** Decision kinds plus the outcomes decided before policy runs. */
export type EventDecision =
  'allow' | 'deny' | 'would-deny' | 'rate-limited' | 'malformed' | 'not-implemented' | 'refused-class';

export type AnsweredBy = 'policy' | 'cache' | 'upstream' | 'listener';

export interface QueryEvent {
  /** Epoch milliseconds when the query arrived. */
  ts: number;
  transport: Transport;
  clientIp: string;
  clientPort: number;
  agentId: string;
  group: string;
  tier: Tier;
  /** Lower-cased presentation name, no trailing dot. */
  qname: string;
  /** Mnemonic ("A", "TXT") or "TYPEnnn". */
  qtype: string;
  decision: EventDecision;
  reason: string;
  ruleId: string;
  /** Mnemonic rcode of the answer sent ("NOERROR", "NXDOMAIN", ...). */
  rcode: string;
  /** Upstream "addr:port" that answered, or null. */
  upstream: string | null;
  cached: boolean;
  answeredBy: AnsweredBy;
  latencyUs: number;
  reqBytes: number;
  respBytes: number;
  /** Number of answer records sent. */
  answers: number;
  /** The pod that asked (Kubernetes identity); null or absent outside Kubernetes and for unknown addresses. */
  namespace?: string | null;
  pod?: string | null;
  podUid?: string | null;
  serviceAccount?: string | null;
}

/** The pod an event names, if any (the four fields travel flat in events, rows and NDJSON). */
export function eventPod(e: QueryEvent): PodIdentity | undefined {
  if (e.namespace == null || e.pod == null) return undefined;
  return {
    namespace: e.namespace,
    pod: e.pod,
    podUid: e.podUid ?? '',
    serviceAccount: e.serviceAccount ?? '',
  };
}
