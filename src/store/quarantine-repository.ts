// Quarantine rows: created by the server when an alert fires, listed and released by the CLI.
import type { NewQuarantine, Quarantine } from '../model/quarantine.js';
import type { Db } from './database.js';

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

export class QuarantineRepository {
  constructor(private readonly db: Db) {}

  add(q: NewQuarantine): number {
    const result = this.db
      .prepare(
        `INSERT INTO quarantines (agent_id, grp, scope, base_domain, created_at, until, reason, alert_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(q.agentId, q.group, q.scope, q.baseDomain, q.createdAt, q.until, q.reason, q.alertId);
    return Number(result.lastInsertRowid);
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
