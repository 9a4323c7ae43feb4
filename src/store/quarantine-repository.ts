// Quarantine rows: created by the server when an alert fires, listed and released by the CLI.
import type { NewQuarantine, Quarantine } from '../model/quarantine.js';
import type { Db } from './database.js';
import { sqliteParams, sqliteSql } from './sql-params.js';

/** A quarantines table row: the same columns on SQLite and PostgreSQL. */
export interface QuarantineRow {
  id: number;
  agent_id: string;
  grp: string;
  scope: 'agent' | 'domain';
  base_domain: string | null;
  created_at: number;
  until: number;
  reason: string;
  alert_id: number | null;
  released_at: number | null;
}

/**
 * Before a quarantine is stored: an unreleased one of the same agent, scope and base domain that has run out is
 * retired (released at its end), so the new one is a row of its own and the old episode stays as it was.
 * Parameters: now, agent, scope, base domain.
 */
export const RETIRE_RUN_OUT_QUARANTINES = `UPDATE quarantines SET released_at = until
  WHERE released_at IS NULL AND until <= $1 AND agent_id = $2 AND scope = $3
    AND coalesce(base_domain, '') = coalesce($4, '')`;

/**
 * The tail of both engines' quarantine INSERT: a replica raising a quarantine another already keeps active joins
 * that row (the later end wins) and gets its id. The conflict target is migration 014's partial unique index:
 * one active row per agent, scope and base domain, fleet-wide.
 */
export const JOIN_ACTIVE_QUARANTINE = `
  ON CONFLICT (agent_id, scope, coalesce(base_domain, '')) WHERE released_at IS NULL DO UPDATE SET
    until = CASE WHEN excluded.until > quarantines.until THEN excluded.until ELSE quarantines.until END
  RETURNING id`;

export class QuarantineRepository {
  constructor(private readonly db: Db) {}

  /** Stores a quarantine, or joins the active one of the same agent, scope and base domain; returns its id. */
  add(q: NewQuarantine): number {
    const retire = this.db.prepare(sqliteSql(RETIRE_RUN_OUT_QUARANTINES));
    const insert = this.db.prepare(
      `INSERT INTO quarantines (agent_id, grp, scope, base_domain, created_at, until, reason, alert_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ${JOIN_ACTIVE_QUARANTINE}`,
    );
    return this.db.transaction(() => {
      retire.run(sqliteParams([q.createdAt, q.agentId, q.scope, q.baseDomain]));
      const row = insert.get(
        q.agentId,
        q.group,
        q.scope,
        q.baseDomain,
        q.createdAt,
        q.until,
        q.reason,
        q.alertId,
      ) as {
        id: number;
      };
      return row.id;
    })();
  }

  /** Unreleased quarantines that have not run out at `now`. */
  active(now: number): Quarantine[] {
    const rows = this.db
      .prepare('SELECT * FROM quarantines WHERE released_at IS NULL AND until > ? ORDER BY id')
      .all(now) as QuarantineRow[];
    return rows.map(toQuarantine);
  }

  all(): Quarantine[] {
    return (this.db.prepare('SELECT * FROM quarantines ORDER BY id').all() as QuarantineRow[]).map(
      toQuarantine,
    );
  }

  /** Releases by id, or every active one of an agent; returns how many were released. */
  release(target: { id: number } | { agentId: string }, now: number): number {
    const statement =
      'id' in target
        ? this.db.prepare('UPDATE quarantines SET released_at = ? WHERE id = ? AND released_at IS NULL')
        : this.db.prepare(
            'UPDATE quarantines SET released_at = ? WHERE agent_id = ? AND released_at IS NULL',
          );
    return statement.run(now, 'id' in target ? target.id : target.agentId).changes;
  }
}

/** The one row -> record mapping, both engines. */
export function toQuarantine(row: QuarantineRow): Quarantine {
  return {
    id: row.id,
    agentId: row.agent_id,
    group: row.grp,
    scope: row.scope,
    baseDomain: row.base_domain,
    createdAt: row.created_at,
    until: row.until,
    reason: row.reason,
    alertId: row.alert_id,
    releasedAt: row.released_at,
  };
}
