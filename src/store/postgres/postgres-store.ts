// The PostgreSQL engine of the Store: one pool per process, migrations applied at open under an advisory lock.
import type pg from 'pg';
import type { PolicyLoad, PolicyVersion } from '../../model/policy-version.js';
import type { NewQuarantine, Quarantine } from '../../model/quarantine.js';
import { hitKey, type EntryHits } from '../allowlist-hits.js';
import {
  INSERT_POLICY_VERSION,
  LIST_POLICY_VERSIONS,
  policyVersionParams,
  toPolicyVersion,
  type PolicyVersionRow,
} from '../policy-versions.js';
import {
  JOIN_ACTIVE_QUARANTINE,
  RETIRE_RUN_OUT_QUARANTINES,
  toQuarantine,
  type QuarantineRow,
} from '../quarantine-repository.js';
import type { AllowlistHitStore, PolicyVersionStore, QuarantineStore, Store, StoreStatus } from '../store.js';
import { createPool, inTransaction, type PoolOptions } from './connect.js';
import { latestVersion, migrate, schemaVersion } from './migrate.js';
import { PgAlerts } from './pg-alerts.js';
import { PgQueryLog } from './pg-query-log.js';

export interface PostgresStoreOptions extends PoolOptions {
  readonly instance: string;
  readonly retentionMs: number;
  /** False for CLI readers: a database at an older schema is read as it is. */
  readonly migrate?: boolean;
}

class PgQuarantines implements QuarantineStore {
  constructor(private readonly pool: pg.Pool) {}

  async add(q: NewQuarantine): Promise<number> {
    return inTransaction(this.pool, async (client) => {
      await client.query(RETIRE_RUN_OUT_QUARANTINES, [q.createdAt, q.agentId, q.scope, q.baseDomain]);
      const result = await client.query<{ id: number }>(
        `INSERT INTO quarantines (agent_id, grp, scope, base_domain, created_at, until, reason, alert_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ${JOIN_ACTIVE_QUARANTINE}`,
        [q.agentId, q.group, q.scope, q.baseDomain, q.createdAt, q.until, q.reason, q.alertId],
      );
      return (result.rows[0] as { id: number }).id;
    });
  }

  async active(now: number): Promise<Quarantine[]> {
    const rows = await this.pool.query<QuarantineRow>(
      'SELECT * FROM quarantines WHERE released_at IS NULL AND until > $1 ORDER BY id',
      [now],
    );
    return rows.rows.map(toQuarantine);
  }

  async all(): Promise<Quarantine[]> {
    return (await this.pool.query<QuarantineRow>('SELECT * FROM quarantines ORDER BY id')).rows.map(
      toQuarantine,
    );
  }

  async release(target: { id: number } | { agentId: string }, now: number): Promise<number> {
    const result =
      'id' in target
        ? await this.pool.query(
            'UPDATE quarantines SET released_at = $1 WHERE id = $2 AND released_at IS NULL',
            [now, target.id],
          )
        : await this.pool.query(
            'UPDATE quarantines SET released_at = $1 WHERE agent_id = $2 AND released_at IS NULL',
            [now, target.agentId],
          );
    return result.rowCount ?? 0;
  }
}

class PgAllowlistHits implements AllowlistHitStore {
  constructor(private readonly pool: pg.Pool) {}

  async add(hits: readonly EntryHits[]): Promise<void> {
    if (hits.length === 0) return;
    await inTransaction(this.pool, async (client) => {
      for (const h of hits) {
        await client.query(
          `INSERT INTO allowlist_hits (grp, domain, hits, first_hit, last_hit) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (grp, domain) DO UPDATE SET hits = allowlist_hits.hits + excluded.hits,
             first_hit = LEAST(allowlist_hits.first_hit, excluded.first_hit),
             last_hit = GREATEST(allowlist_hits.last_hit, excluded.last_hit)`,
          [h.group, h.domain, h.hits, h.firstHit, h.lastHit],
        );
      }
    });
  }

  async read(): Promise<Map<string, EntryHits>> {
    const rows = await this.pool.query<{
      grp: string;
      domain: string;
      hits: number;
      first_hit: number;
      last_hit: number;
    }>('SELECT grp, domain, hits, first_hit, last_hit FROM allowlist_hits');
    return new Map(
      rows.rows.map((r) => [
        hitKey(r.grp, r.domain),
        { group: r.grp, domain: r.domain, hits: r.hits, firstHit: r.first_hit, lastHit: r.last_hit },
      ]),
    );
  }

  async trackingSince(): Promise<number | null> {
    const row = await this.pool.query<{ since: number }>('SELECT since FROM allowlist_tracking WHERE id = 1');
    return row.rows[0]?.since ?? null;
  }
}

class PgPolicyVersions implements PolicyVersionStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly instance: string,
  ) {}

  async record(load: PolicyLoad): Promise<void> {
    await this.pool.query(INSERT_POLICY_VERSION, policyVersionParams(load, this.instance));
  }

  async list(sinceMs: number): Promise<PolicyVersion[]> {
    // a database at an older schema (CLI readers do not migrate) has no versions recorded
    const exists = await this.pool.query<{ t: string | null }>("SELECT to_regclass('policy_versions') AS t");
    if (exists.rows[0]?.t === null) return [];
    return (await this.pool.query<PolicyVersionRow>(LIST_POLICY_VERSIONS, [sinceMs])).rows.map(
      toPolicyVersion,
    );
  }
}

export class PostgresStore implements Store {
  readonly alerts: PgAlerts;
  readonly quarantines: PgQuarantines;
  readonly queryLog: PgQueryLog;
  readonly allowlistHits: PgAllowlistHits;
  readonly policyVersions: PgPolicyVersions;

  private constructor(
    private readonly pool: pg.Pool,
    options: PostgresStoreOptions,
  ) {
    this.alerts = new PgAlerts(pool);
    this.quarantines = new PgQuarantines(pool);
    this.queryLog = new PgQueryLog(pool, options.instance, options.retentionMs);
    this.allowlistHits = new PgAllowlistHits(pool);
    this.policyVersions = new PgPolicyVersions(pool, options.instance);
  }

  /** Connects and (unless options.migrate is false) applies missing migrations before returning. */
  static async open(url: string, options: PostgresStoreOptions): Promise<PostgresStore> {
    const pool = createPool(url, options);
    try {
      if (options.migrate !== false) await migrate(pool);
    } catch (error) {
      await pool.end();
      throw error;
    }
    return new PostgresStore(pool, options);
  }

  async check(): Promise<StoreStatus> {
    const version = await schemaVersion(this.pool);
    const newest =
      version === 0
        ? undefined
        : await this.pool.query<{ ts: number | null }>('SELECT max(ts) AS ts FROM query_log');
    return {
      engine: 'postgres',
      schemaVersion: version,
      latestVersion: latestVersion(),
      newestRowMs: newest?.rows[0]?.ts ?? null,
    };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
