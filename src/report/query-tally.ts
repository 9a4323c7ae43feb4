// One pass over the query log of the report's window: totals by decision, a timeline in hour or day buckets,
// the most denied domains and names, and the agents that asked for denied names most. Memory stays bounded (TopCounts).
import { BaseDomainResolver } from '../lib/base-domain.js';
import { TopCounts } from '../lib/top-counts.js';
import type { EventDecision, QueryEvent } from '../model/query-event.js';

/** Decisions a "top denied" table counts: denied, and what audit mode would have denied. */
const DENIED: ReadonlySet<EventDecision> = new Set(['deny', 'would-deny']);

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export interface TimelineBucket {
  /** ISO 8601 start of the bucket (UTC). */
  readonly start: string;
  readonly counts: Readonly<Partial<Record<EventDecision, number>>>;
}

export interface DeniedName {
  readonly name: string;
  readonly count: number;
  /** Distinct agents that asked. */
  readonly agents: number;
}

export interface DeniedDomain {
  /** Registrable domain (eTLD+1) of the denied names. */
  readonly domain: string;
  readonly count: number;
  /** Distinct names asked below it, counted up to DISTINCT_NAMES_CAP (a tunnel's are all distinct). */
  readonly names: number;
  readonly agents: number;
}

/** Distinct names counted per denied domain; past it the count reads "at least". */
export const DISTINCT_NAMES_CAP = 10_000;

export interface DeniedAgent {
  readonly agentId: string;
  readonly group: string;
  readonly namespace: string | null;
  readonly pod: string | null;
  readonly count: number;
}

export interface QueryEvidence {
  readonly total: number;
  readonly byDecision: Readonly<Partial<Record<EventDecision, number>>>;
  readonly bucket: 'hour' | 'day';
  readonly timeline: readonly TimelineBucket[];
  readonly topDeniedDomains: readonly DeniedDomain[];
  readonly topDeniedNames: readonly DeniedName[];
  readonly topDeniedAgents: readonly DeniedAgent[];
  /** True when the window had so many distinct names or agents that the top tables may undercount. */
  readonly topApproximate: boolean;
}

/** Hours for a window of up to two days, else days. */
export function bucketFor(sinceMs: number, untilMs: number): 'hour' | 'day' {
  return untilMs - sinceMs <= 2 * DAY_MS ? 'hour' : 'day';
}

export class QueryTally {
  private total = 0;
  private readonly byDecision: Partial<Record<EventDecision, number>> = {};
  private readonly buckets = new Map<number, Partial<Record<EventDecision, number>>>();
  private readonly names = new TopCounts<Set<string>>();
  private readonly domains = new TopCounts<{ names: Set<string>; agents: Set<string> }>();
  private readonly baseDomains = new BaseDomainResolver();
  private readonly agents = new TopCounts<Omit<DeniedAgent, 'count'>>();
  private readonly bucketMs: number;

  constructor(
    private readonly sinceMs: number,
    private readonly untilMs: number,
  ) {
    this.bucketMs = bucketFor(sinceMs, untilMs) === 'hour' ? HOUR_MS : DAY_MS;
  }

  add(q: QueryEvent): void {
    this.total++;
    this.byDecision[q.decision] = (this.byDecision[q.decision] ?? 0) + 1;
    const start = Math.floor(q.ts / this.bucketMs) * this.bucketMs;
    let bucket = this.buckets.get(start);
    if (bucket === undefined) this.buckets.set(start, (bucket = {}));
    bucket[q.decision] = (bucket[q.decision] ?? 0) + 1;
    if (!DENIED.has(q.decision)) return;
    this.names.add(q.qname, () => new Set()).add(q.agentId);
    const domain = this.domains.add(this.baseDomains.resolve(q.qname).base, () => ({
      names: new Set(),
      agents: new Set(),
    }));
    if (domain.names.size < DISTINCT_NAMES_CAP) domain.names.add(q.qname);
    domain.agents.add(q.agentId);
    this.agents.add(q.agentId, () => ({
      agentId: q.agentId,
      group: q.group,
      namespace: q.namespace ?? null,
      pod: q.pod ?? null,
    }));
  }

  /** Every bucket of the window, empty ones too, so the chart's time axis is even. */
  result(top: number): QueryEvidence {
    const timeline: TimelineBucket[] = [];
    const first = Math.floor(this.sinceMs / this.bucketMs) * this.bucketMs;
    for (let start = first; start <= this.untilMs; start += this.bucketMs) {
      timeline.push({ start: new Date(start).toISOString(), counts: this.buckets.get(start) ?? {} });
    }
    return {
      total: this.total,
      byDecision: this.byDecision,
      bucket: this.bucketMs === HOUR_MS ? 'hour' : 'day',
      timeline,
      topDeniedDomains: this.domains.top(top).map((c) => ({
        domain: c.key,
        count: c.count,
        names: c.data.names.size,
        agents: c.data.agents.size,
      })),
      topDeniedNames: this.names.top(top).map((c) => ({ name: c.key, count: c.count, agents: c.data.size })),
      topDeniedAgents: this.agents.top(top).map((c) => ({ ...c.data, count: c.count })),
      topApproximate: this.names.approximate || this.domains.approximate || this.agents.approximate,
    };
  }
}
