// Allowlist lifecycle data: per-entry hit counts and last-hit times (aggregated per event batch, one upsert
// per entry hit in the batch), and the reads `dnsward allowlist stale|suggest` make.
import type { EventConsumer } from '../model/event-consumer.js';
import type { QueryEvent } from '../model/query-event.js';
import type { Db } from './database.js';
import type { LoggedQuery } from './query-log-reader.js';

export interface EntryHits {
  readonly group: string;
  /** The entry's domain pattern ("api.example.org", "*.example.org"). */
  readonly domain: string;
  readonly hits: number;
  readonly firstHit: number;
  readonly lastHit: number;
}

interface Pending {
  group: string;
  ruleId: string;
  hits: number;
  first: number;
  last: number;
}

/** Rule ids of allow decisions are "file:line domain"; hits are kept per domain, so moved lines keep history. */
function domainOf(ruleId: string): string {
  return ruleId.slice(ruleId.lastIndexOf(' ') + 1);
}

/** The EventConsumer: counts allow decisions per (group, rule id) in a batch, then writes them in one transaction. */
export class AllowlistHitRecorder implements EventConsumer {
  /** Batches that could not be written (counted, logged by the caller; never thrown into the queue). */
  failures = 0;
  private readonly pending = new Map<string, Map<string, Pending>>();
  private readonly write: (rows: readonly Pending[]) => Promise<void>;

  /** `sink` stores a batch's hits (Store.allowlistHits.add). */
  constructor(
    sink: (hits: readonly EntryHits[]) => Promise<void>,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {
    this.write = (rows) =>
      sink(
        rows.map((r) => ({
          group: r.group,
          domain: domainOf(r.ruleId),
          hits: r.hits,
          firstHit: r.first,
          lastHit: r.last,
        })),
      );
  }

  consume(batch: readonly QueryEvent[]): void {
    for (const event of batch) {
      // only allowlist entries produce "allow"; their rule id names the entry
      if (event.decision !== 'allow') continue;
      let byRule = this.pending.get(event.group);
      if (byRule === undefined) {
        byRule = new Map();
        this.pending.set(event.group, byRule);
      }
      const row = byRule.get(event.ruleId);
      if (row === undefined) {
        byRule.set(event.ruleId, {
          group: event.group,
          ruleId: event.ruleId,
          hits: 1,
          first: event.ts,
          last: event.ts,
        });
      } else {
        row.hits++;
        if (event.ts < row.first) row.first = event.ts;
        if (event.ts > row.last) row.last = event.ts;
      }
    }
    this.flush();
  }

  close(): void {
    this.flush();
  }

  private flush(): void {
    if (this.pending.size === 0) return;
    const rows = [...this.pending.values()].flatMap((byRule) => [...byRule.values()]);
    this.pending.clear();
    const fail = (error: unknown): void => {
      this.failures++;
      this.onError(error);
    };
    try {
      this.write(rows).catch(fail);
    } catch (error) {
      fail(error);
    }
  }
}

/** Adds hits per (group, entry domain), in one transaction. */
export function hitWriter(db: Db): (rows: readonly EntryHits[]) => void {
  const upsert = db.prepare(
    `INSERT INTO allowlist_hits (grp, domain, hits, first_hit, last_hit) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (grp, domain) DO UPDATE SET
       hits = hits + excluded.hits,
       first_hit = min(first_hit, excluded.first_hit),
       last_hit = max(last_hit, excluded.last_hit)`,
  );
  return db.transaction((rows: readonly EntryHits[]) => {
    for (const r of rows) upsert.run(r.group, r.domain, r.hits, r.firstHit, r.lastHit);
  });
}

/** Every hit row, keyed "group\u0000domain". */
export function readAllowlistHits(db: Db): Map<string, EntryHits> {
  const rows = db.prepare('SELECT grp, domain, hits, first_hit, last_hit FROM allowlist_hits').all() as {
    grp: string;
    domain: string;
    hits: number;
    first_hit: number;
    last_hit: number;
  }[];
  return new Map(
    rows.map((r) => [
      hitKey(r.grp, r.domain),
      { group: r.grp, domain: r.domain, hits: r.hits, firstHit: r.first_hit, lastHit: r.last_hit },
    ]),
  );
}

export function hitKey(group: string, domain: string): string {
  return `${group}\u0000${domain}`;
}

/** Since when hits are recorded in this database (epoch ms), or null for a database without the table. */
export function hitTrackingSince(db: Db): number | null {
  if (!hasTable(db, 'allowlist_tracking')) return null;
  const row = db.prepare('SELECT since FROM allowlist_tracking WHERE id = 1').get() as
    { since: number } | undefined;
  return row?.since ?? null;
}

export function hasTable(db: Db, name: string): boolean {
  return (
    db.prepare("SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !==
    undefined
  );
}

/** Who asked for a name: the agent and, in Kubernetes, its pod (null elsewhere). */
export interface AskedBy {
  readonly agentId: string;
  readonly namespace: string | null;
  readonly pod: string | null;
  readonly podUid: string | null;
  readonly serviceAccount: string | null;
}

/** Askers listed per name (and per suggested entry); `agents` counts them all. */
export const MAX_ASKERS = 10;

/** One name from the query log with its counts (for `allowlist suggest`). */
export interface ObservedName {
  readonly qname: string;
  readonly reason: string;
  readonly queries: number;
  readonly agents: number;
  /** The first MAX_ASKERS agents that asked, in order of first query. */
  readonly askedBy: readonly AskedBy[];
  readonly firstSeen: number;
  readonly lastSeen: number;
}

/** Tallies the queries `allowlist suggest` reads (a group's would-deny queries since a time) per name and reason. */
export async function wouldDenyNames(
  queries: AsyncIterable<LoggedQuery> | Iterable<LoggedQuery>,
): Promise<ObservedName[]> {
  const tallies = new Map<
    string,
    {
      qname: string;
      reason: string;
      queries: number;
      agents: Map<string, AskedBy>;
      firstSeen: number;
      lastSeen: number;
    }
  >();
  for await (const q of queries) {
    const key = `${q.qname}\0${q.reason}`;
    let tally = tallies.get(key);
    if (tally === undefined) {
      tally = {
        qname: q.qname,
        reason: q.reason,
        queries: 0,
        agents: new Map(),
        firstSeen: q.ts,
        lastSeen: q.ts,
      };
      tallies.set(key, tally);
    }
    tally.queries++;
    if (!tally.agents.has(q.agentId))
      tally.agents.set(q.agentId, {
        agentId: q.agentId,
        namespace: q.namespace ?? null,
        pod: q.pod ?? null,
        podUid: q.podUid ?? null,
        serviceAccount: q.serviceAccount ?? null,
      });
    tally.firstSeen = Math.min(tally.firstSeen, q.ts);
    tally.lastSeen = Math.max(tally.lastSeen, q.ts);
  }
  return [...tallies.values()]
    .map((t) => ({ ...t, agents: t.agents.size, askedBy: [...t.agents.values()].slice(0, MAX_ASKERS) }))
    .sort((a, b) => b.queries - a.queries || (a.qname < b.qname ? -1 : a.qname > b.qname ? 1 : 0));
}
