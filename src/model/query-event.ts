// QueryEvent: one record per query answered, allowed or denied; emitted after the answer is sent.
import type { Agent, PodIdentity, Tier } from './agent.js';
import type { Client, Transport } from './query.js';

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
  /** A/AAAA addresses sent (answers from cache or upstream only), for the egress answer sets; not logged. */
  answerAddresses?: readonly string[] | undefined;
  /** Seconds those addresses are still valid for the client (smallest TTL as sent). */
  answerTtl?: number | undefined;
  /** The pod that asked (Kubernetes identity); null or absent outside Kubernetes and for unknown addresses. */
  namespace?: string | null;
  pod?: string | null;
  podUid?: string | null;
  serviceAccount?: string | null;
}

/** What was decided about one query: the pipeline's in-flight record and replay's record both carry it. */
export interface QueryFacts {
  readonly ts: number;
  readonly agent: Agent;
  readonly decision: EventDecision;
  readonly reason: string;
  readonly ruleId: string;
  readonly answeredBy: AnsweredBy;
  readonly upstream: string | null;
}

const HEADER_BYTES = 12;

/** The one QueryEvent builder: `answer` is the message the client got (null: none), `rcode` its mnemonic. */
export function queryEvent(
  q: QueryFacts,
  client: Client,
  qname: string,
  qtype: string,
  rcode: string,
  latencyUs: number,
  reqBytes: number,
  answer: Buffer | null,
): QueryEvent {
  return {
    ts: q.ts,
    transport: client.transport,
    clientIp: client.address,
    clientPort: client.port,
    agentId: q.agent.id,
    group: q.agent.group,
    tier: q.agent.tier,
    qname,
    qtype,
    decision: q.decision,
    reason: q.reason,
    ruleId: q.ruleId,
    rcode,
    upstream: q.upstream,
    cached: q.answeredBy === 'cache',
    answeredBy: q.answeredBy,
    latencyUs,
    reqBytes,
    respBytes: answer ? answer.length : 0,
    answers: answer && answer.length >= HEADER_BYTES ? answer.readUInt16BE(6) : 0,
    namespace: q.agent.pod?.namespace ?? null,
    pod: q.agent.pod?.pod ?? null,
    podUid: q.agent.pod?.podUid ?? null,
    serviceAccount: q.agent.pod?.serviceAccount ?? null,
  };
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
