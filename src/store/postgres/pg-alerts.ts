// Alerts in PostgreSQL: the fleet-wide upsert (alert-merge.ts) under a per-key advisory lock, lists, acks, mutes.
import type pg from 'pg';
import type { AlertRecord, AlertState, Mute, StoredAlert, StoredAlertRecord } from '../../model/alert.js';
import { severityRank, storedAlertJson } from '../../model/alert.js';
import { alertKey, AlertMerger } from '../alert-merge.js';
import type { AlertFilter, MuteRecord } from '../alert-repository.js';
import { toRecord, type AlertRow } from '../alert-row.js';
import type { AlertStore } from '../store.js';
import { inTransaction } from './connect.js';

function values(a: Readonly<AlertRecord>, nowMs: number): unknown[] {
  return [
    a.rule,
    a.severity,
    severityRank(a.severity),
    a.agentId,
    a.group,
    a.clientIp,
    a.baseDomain,
    a.firstSeenMs,
    a.lastSeenMs,
    a.count,
    a.score,
    a.exposure,
    Math.round(a.bytesLeaked),
    Math.round(a.bytesAttempted),
    JSON.stringify(a.samples),
    JSON.stringify(a.features),
    a.status,
    a.statusReason,
    a.mutedUntilMs,
    nowMs,
    a.podIdentity?.namespace ?? null,
    a.podIdentity?.pod ?? null,
    a.podIdentity?.podUid ?? null,
    a.podIdentity?.serviceAccount ?? null,
  ];
}

const INSERT_SQL = `INSERT INTO alerts (rule, severity, severity_rank, agent_id, grp, client_ip, base_domain,
  first_seen, last_seen, count, score, exposure, bytes_leaked, bytes_attempted, samples, features, status,
  status_reason, muted_until, updated_at, namespace, pod, pod_uid, service_account)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23,
  $24) RETURNING id`;
const UPDATE_SQL = `UPDATE alerts SET severity = $2, severity_rank = $3, grp = $5, client_ip = $6,
  first_seen = $8, last_seen = $9, count = $10, score = $11, exposure = $12, bytes_leaked = $13,
  bytes_attempted = $14, samples = $15, features = $16, status = $17, status_reason = $18, muted_until = $19,
  updated_at = $20, namespace = $21, pod = $22, pod_uid = $23, service_account = $24
  WHERE id = $25 AND rule = $1 AND agent_id = $4 AND base_domain = $7`;

export class PgAlerts implements AlertStore {
  private readonly merger = new AlertMerger();

  constructor(private readonly pool: pg.Pool) {}

  async saveBatch(alerts: readonly AlertState[], nowMs: number, mergeWithinMs: number): Promise<void> {
    if (alerts.length === 0) return;
    // keys locked in one order by every replica: two batches never wait on each other in a cycle
    const ordered = [...alerts].sort((a, b) => (alertKey(a) < alertKey(b) ? -1 : 1));
    const ids = await inTransaction(this.pool, async (client) => {
      const out = new Map<AlertState, number>();
      for (const alert of ordered) {
        await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [alertKey(alert)]);
        const found =
          alert.dbId === null
            ? await client.query<AlertRow>(
                `SELECT * FROM alerts WHERE agent_id = $1 AND base_domain = $2 AND rule = $3 AND last_seen >= $4
                 ORDER BY last_seen DESC LIMIT 1`,
                [alert.agentId, alert.baseDomain, alert.rule, alert.firstSeenMs - mergeWithinMs],
              )
            : await client.query<AlertRow>('SELECT * FROM alerts WHERE id = $1', [alert.dbId]);
        const row = found.rows[0];
        if (row === undefined) {
          const inserted = await client.query<{ id: number }>(INSERT_SQL, values(alert, nowMs));
          out.set(alert, (inserted.rows[0] as { id: number }).id);
        } else {
          await client.query(UPDATE_SQL, [...values(this.merger.merge(toRecord(row), alert), nowMs), row.id]);
          out.set(alert, row.id);
        }
      }
      return out;
    });
    // only once committed: a rolled-back batch is added in full next time
    for (const [alert, id] of ids) {
      alert.dbId = id;
      this.merger.remember(id, alert);
    }
  }

  async add(alert: Readonly<AlertRecord>, nowMs: number): Promise<number> {
    const result = await this.pool.query<{ id: number }>(INSERT_SQL, values(alert, nowMs));
    return (result.rows[0] as { id: number }).id;
  }

  async get(id: number): Promise<StoredAlert | undefined> {
    const row = (await this.pool.query<AlertRow>('SELECT * FROM alerts WHERE id = $1', [id])).rows[0];
    return row === undefined ? undefined : storedAlertJson(toRecord(row));
  }

  async list(filter: AlertFilter = {}): Promise<StoredAlert[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: (p: string) => string, value: unknown): void => {
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    if (filter.sinceMs !== undefined) add((p) => `last_seen >= ${p}`, filter.sinceMs);
    if (filter.severity !== undefined) add((p) => `severity_rank >= ${p}`, severityRank(filter.severity));
    if (filter.rule !== undefined) add((p) => `rule = ${p}`, filter.rule);
    if (filter.agentId !== undefined) add((p) => `agent_id = ${p}`, filter.agentId);
    if (filter.domain !== undefined)
      add((p) => `(base_domain = ${p} OR right(base_domain, length(${p}) + 1) = '.' || ${p})`, filter.domain);
    if (filter.status !== undefined) add((p) => `status = ${p}`, filter.status);
    if (filter.namespace !== undefined) add((p) => `namespace = ${p}`, filter.namespace);
    if (filter.pod !== undefined) add((p) => `pod = ${p}`, filter.pod);
    if (filter.serviceAccount !== undefined) add((p) => `service_account = ${p}`, filter.serviceAccount);
    const sql =
      `SELECT * FROM alerts${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}` +
      ` ORDER BY last_seen DESC, id DESC${filter.limit !== undefined ? ` LIMIT ${Math.floor(filter.limit)}` : ''}`;
    return (await this.pool.query<AlertRow>(sql, params)).rows.map((r) => storedAlertJson(toRecord(r)));
  }

  async all(): Promise<StoredAlert[]> {
    return (await this.pool.query<AlertRow>('SELECT * FROM alerts ORDER BY id')).rows.map((r) =>
      storedAlertJson(toRecord(r)),
    );
  }

  async recent(sinceMs: number): Promise<StoredAlertRecord[]> {
    const rows = (
      await this.pool.query<AlertRow>('SELECT * FROM alerts WHERE last_seen >= $1 ORDER BY id', [sinceMs])
    ).rows;
    const alerts = rows.map(toRecord);
    this.merger.adopt(alerts);
    return alerts;
  }

  async ack(id: number, nowMs: number, reason: string | null): Promise<boolean> {
    const result = await this.pool.query(
      "UPDATE alerts SET status = 'acked', acked_at = $1, status_reason = $2, muted_until = NULL, updated_at = $1 WHERE id = $3",
      [nowMs, reason, id],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async mute(mute: Mute, nowMs: number): Promise<{ id: number; muted: number }> {
    return inTransaction(this.pool, async (client) => {
      const inserted = await client.query<{ id: number }>(
        'INSERT INTO alert_mutes (domain, agent_id, reason, created_at, until) VALUES ($1, $2, $3, $4, $5) RETURNING id',
        [mute.domain, mute.agentId, mute.reason, nowMs, mute.untilMs],
      );
      const updated = await client.query(
        `UPDATE alerts SET status = 'muted', status_reason = $1, muted_until = $2, updated_at = $3
         WHERE status = 'open'
           AND ($4::text IS NULL OR base_domain = $4 OR right(base_domain, length($4) + 1) = '.' || $4)
           AND ($5::text IS NULL OR agent_id = $5)`,
        [mute.reason, mute.untilMs, nowMs, mute.domain, mute.agentId],
      );
      return { id: (inserted.rows[0] as { id: number }).id, muted: updated.rowCount ?? 0 };
    });
  }

  async activeMutes(nowMs: number): Promise<MuteRecord[]> {
    const rows = (
      await this.pool.query<{
        id: number;
        domain: string | null;
        agent_id: string | null;
        reason: string;
        created_at: number;
        until: number | null;
      }>('SELECT * FROM alert_mutes WHERE until IS NULL OR until >= $1 ORDER BY id', [nowMs])
    ).rows;
    return rows.map((r) => ({
      id: r.id,
      domain: r.domain,
      agentId: r.agent_id,
      reason: r.reason,
      createdAtMs: r.created_at,
      untilMs: r.until,
    }));
  }
}
