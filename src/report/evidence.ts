// The evidence report's content (`dnsward report`): what an AG-404 auditor asks for, read from the store and the
// compiled policy in one model that the JSON form prints as it is and the HTML page renders.
import { SEVERITIES, type Exposure, type Severity } from '../model/alert.js';
import type { PolicyVersion } from '../model/policy-version.js';
import { TIER_CAPS } from '../config/sections/groups.js';
import { findStaleEntries } from '../policy/allowlist-stale.js';
import type { Policy } from '../policy/compile.js';
import { hitKey } from '../store/allowlist-hits.js';
import type { Store } from '../store/store.js';
import { QueryTally, type QueryEvidence } from './query-tally.js';

export interface EntryEvidence {
  readonly domain: string;
  readonly justification: string;
  readonly owner: string;
  readonly added: string;
  readonly expires: string | null;
  readonly expired: boolean;
  /** Allowed queries since hit tracking began (every replica). */
  readonly hits: number;
  readonly lastHit: string | null;
  /** No traffic for `staleAfterDays` (as `dnsward allowlist stale`). */
  readonly stale: boolean;
  /** "file:line" of the entry. */
  readonly source: string;
}

export interface GroupEvidence {
  readonly name: string;
  readonly tier: number;
  readonly mode: 'enforce' | 'audit';
  readonly denyRcode: string;
  /** The tier's cap on allowlist entries. */
  readonly cap: number;
  readonly entries: readonly EntryEvidence[];
}

export interface SeverityEvidence {
  readonly alerts: number;
  readonly forwarded: number;
  readonly blocked: number;
  readonly bytesLeaked: number;
  readonly bytesAttempted: number;
}

export interface AlertItem {
  readonly id: number;
  readonly rule: string;
  readonly severity: Severity;
  readonly agentId: string;
  readonly group: string;
  readonly namespace: string | null;
  readonly pod: string | null;
  readonly baseDomain: string;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly count: number;
  readonly exposure: Exposure;
  readonly bytesLeaked: number;
  readonly bytesAttempted: number;
  readonly status: string;
}

export interface QuarantineEvidence {
  readonly id: number;
  readonly agentId: string;
  readonly group: string;
  readonly scope: 'agent' | 'domain';
  readonly baseDomain: string | null;
  readonly createdAt: string;
  readonly until: string;
  readonly releasedAt: string | null;
  readonly reason: string;
  readonly alertId: number | null;
}

export interface EvidenceReport {
  readonly generatedAt: string;
  readonly window: { readonly since: string; readonly until: string };
  readonly config: string | null;
  readonly store: { readonly engine: string; readonly schemaVersion: number };
  /** The policy compiled from the given config now. */
  readonly policy: { readonly version: string; readonly groups: number; readonly entries: number };
  readonly allowlistTracking: { readonly since: string | null; readonly staleAfterDays: number };
  readonly groups: readonly GroupEvidence[];
  readonly queries: QueryEvidence;
  readonly alerts: {
    readonly total: number;
    readonly bytesLeaked: number;
    readonly bySeverity: Readonly<Record<Severity, SeverityEvidence>>;
    /** Most severe first, then most recent; at most `top` (the totals above count them all). */
    readonly items: readonly AlertItem[];
  };
  /** Quarantines in force at some time in the window. */
  readonly quarantines: readonly QuarantineEvidence[];
  /** Log completeness: rows logged in the window against events dropped before the log. */
  readonly completeness: {
    readonly logged: number;
    readonly dropped: number;
    /** logged / (logged + dropped); 1 when nothing was dropped. */
    readonly loggedShare: number;
    readonly byInstance: readonly {
      readonly instance: string;
      readonly dropped: number;
      readonly lastDrop: string;
    }[];
  };
  /** The policy versions in force in the window (and the one in force when it opened), oldest first. */
  readonly policyVersions: readonly (Omit<PolicyVersion, 'loadedAt'> & { readonly loadedAt: string })[];
}

export interface EvidenceInput {
  readonly store: Store;
  readonly policy: Policy;
  readonly configFile: string | null;
  readonly sinceMs: number;
  readonly nowMs: number;
  readonly staleAfterDays: number;
  /** Rows in each top table and alert list. */
  readonly top: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

export async function buildEvidence(input: EvidenceInput): Promise<EvidenceReport> {
  const { store, policy, sinceMs, nowMs } = input;
  const status = await store.check();
  const tally = new QueryTally(sinceMs, nowMs);
  for await (const q of store.queryLog.scan({ sinceMs, untilMs: nowMs })) tally.add(q);
  const queries = tally.result(input.top);
  const drops = await store.queryLog.drops(sinceMs);
  const dropped = drops.reduce((sum, d) => sum + d.dropped, 0);
  const groups = await groupEvidence(input);
  const trackingSince = await store.allowlistHits.trackingSince();
  return {
    generatedAt: iso(nowMs),
    window: { since: iso(sinceMs), until: iso(nowMs) },
    config: input.configFile,
    store: { engine: status.engine, schemaVersion: status.schemaVersion },
    policy: {
      version: policy.version,
      groups: groups.length,
      entries: groups.reduce((sum, g) => sum + g.entries.length, 0),
    },
    allowlistTracking: { since: isoOrNull(trackingSince), staleAfterDays: input.staleAfterDays },
    groups,
    queries,
    alerts: await alertEvidence(store, sinceMs, input.top),
    quarantines: (await store.quarantines.all())
      .filter((q) => q.createdAt <= nowMs && Math.min(q.releasedAt ?? q.until, q.until) >= sinceMs)
      .map((q) => ({
        id: q.id,
        agentId: q.agentId,
        group: q.group,
        scope: q.scope,
        baseDomain: q.baseDomain,
        createdAt: iso(q.createdAt),
        until: iso(q.until),
        releasedAt: isoOrNull(q.releasedAt),
        reason: q.reason,
        alertId: q.alertId,
      })),
    completeness: {
      logged: queries.total,
      dropped,
      loggedShare: dropped === 0 ? 1 : queries.total / (queries.total + dropped),
      byInstance: drops.map((d) => ({ instance: d.instance, dropped: d.dropped, lastDrop: iso(d.lastMs) })),
    },
    policyVersions: (await store.policyVersions.list(sinceMs)).map((v) => ({
      ...v,
      loadedAt: iso(v.loadedAt),
    })),
  };
}

async function groupEvidence(input: EvidenceInput): Promise<GroupEvidence[]> {
  const { store, policy, nowMs } = input;
  const hits = await store.allowlistHits.read();
  const stale = findStaleEntries(
    policy.groups.values(),
    (group, domain) => hits.get(hitKey(group, domain)),
    await store.allowlistHits.trackingSince(),
    nowMs,
    input.staleAfterDays,
  );
  const staleKeys = new Set(stale.stale.map((s) => hitKey(s.group, s.domain)));
  return [...policy.groups.values()].map((g) => ({
    name: g.name,
    tier: g.tier,
    mode: g.mode,
    denyRcode: g.denyRcode,
    cap: TIER_CAPS[g.tier],
    entries: g.entries.map((e) => {
      const hit = hits.get(hitKey(g.name, e.domain));
      return {
        domain: e.domain,
        justification: e.justification,
        owner: e.owner,
        added: e.added,
        expires: e.expires ?? null,
        expired: e.expiresAt <= nowMs,
        hits: hit?.hits ?? 0,
        lastHit: isoOrNull(hit?.lastHit ?? null),
        stale: staleKeys.has(hitKey(g.name, e.domain)),
        source: `${e.file}:${e.line}`,
      };
    }),
  }));
}

async function alertEvidence(store: Store, sinceMs: number, top: number): Promise<EvidenceReport['alerts']> {
  const alerts = await store.alerts.list({ sinceMs });
  const bySeverity = Object.fromEntries(
    SEVERITIES.map((s) => [s, { alerts: 0, forwarded: 0, blocked: 0, bytesLeaked: 0, bytesAttempted: 0 }]),
  ) as Record<
    Severity,
    { alerts: number; forwarded: number; blocked: number; bytesLeaked: number; bytesAttempted: number }
  >;
  for (const a of alerts) {
    const s = bySeverity[a.severity];
    s.alerts++;
    s[a.exposure]++;
    s.bytesLeaked += a.bytesLeaked;
    s.bytesAttempted += a.bytesAttempted;
  }
  const rank = (s: Severity): number => SEVERITIES.indexOf(s);
  const items = [...alerts]
    .sort(
      (a, b) => rank(b.severity) - rank(a.severity) || b.lastSeen.localeCompare(a.lastSeen) || b.id - a.id,
    )
    .slice(0, top)
    .map((a) => ({
      id: a.id,
      rule: a.rule,
      severity: a.severity,
      agentId: a.agentId,
      group: a.group,
      namespace: a.namespace,
      pod: a.pod,
      baseDomain: a.baseDomain,
      firstSeen: a.firstSeen,
      lastSeen: a.lastSeen,
      count: a.count,
      exposure: a.exposure,
      bytesLeaked: a.bytesLeaked,
      bytesAttempted: a.bytesAttempted,
      status: a.status,
    }));
  return {
    total: alerts.length,
    bytesLeaked: alerts.reduce((sum, a) => sum + a.bytesLeaked, 0),
    bySeverity,
    items,
  };
}
