// Alert repository: upsert, list, get, ack, mute, export; the only alert SQL the server and the CLI use.
import type { AlertRecord, AlertStatus, Severity, StoredAlert, StoredAlertRecord } from '../model/alert.js';
import { SEVERITIES, severityRank, storedAlertJson } from '../model/alert.js';
import { AlertMerger } from './alert-merge.js';
import { toRecord, type AlertRow } from './alert-row.js';
import type { Db } from './database.js';
import { findQueries } from './query-log-reader.js';

export type { StoredAlert } from '../model/alert.js';

export interface AlertFilter {
  /** Alerts active at or after this time (last_seen >= sinceMs). */
  readonly sinceMs?: number;
  /** Minimum severity. */
  readonly severity?: Severity;
  readonly rule?: string;
  readonly agentId?: string;
  /** Base domain equal to or below this domain. */
  readonly domain?: string;
  readonly status?: AlertStatus;
  readonly namespace?: string;
  readonly pod?: string;
  readonly serviceAccount?: string;
  readonly limit?: number;
}

export interface MuteRecord {
  readonly id: number;
  readonly domain: string | null;
  readonly agentId: string | null;
  readonly reason: string;
  readonly createdAtMs: number;
  readonly untilMs: number | null;
}

/** A row of the query log, for `alerts show`. */
export interface QuerySample {
  readonly ts: string;
  readonly clientIp: string;
  readonly qname: string;
  readonly qtype: string;
  readonly decision: string;
  readonly rcode: string;
}

const iso = (ms: number): string => new Date(ms).toISOString();

const toAlert = (row: AlertRow): StoredAlert => storedAlertJson(toRecord(row));

/** The record's columns as statement parameters. */
function params(alert: Readonly<AlertRecord>, nowMs: number): Record<string, string | number | null> {
  return {
    rule: alert.rule,
    severity: alert.severity,
    severityRank: severityRank(alert.severity),
    agentId: alert.agentId,
    group: alert.group,
    clientIp: alert.clientIp,
    baseDomain: alert.baseDomain,
    firstSeen: alert.firstSeenMs,
    lastSeen: alert.lastSeenMs,
    count: alert.count,
    score: alert.score,
    exposure: alert.exposure,
    bytesLeaked: Math.round(alert.bytesLeaked),
    bytesAttempted: Math.round(alert.bytesAttempted),
    samples: JSON.stringify(alert.samples),
    features: JSON.stringify(alert.features),
    status: alert.status,
    statusReason: alert.statusReason,
    mutedUntil: alert.mutedUntilMs,
    updatedAt: nowMs,
    namespace: alert.podIdentity?.namespace ?? null,
    pod: alert.podIdentity?.pod ?? null,
    podUid: alert.podIdentity?.podUid ?? null,
    serviceAccount: alert.podIdentity?.serviceAccount ?? null,
  };
}

export class AlertRepository {
  private readonly insertStmt;
  private readonly updateStmt;
  private readonly getStmt;
  private readonly findStmt;
  private readonly merger = new AlertMerger();

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare(`
      INSERT INTO alerts (rule, severity, severity_rank, agent_id, grp, client_ip, base_domain, first_seen,
        last_seen, count, score, exposure, bytes_leaked, bytes_attempted, samples, features, status,
        status_reason, muted_until, updated_at, namespace, pod, pod_uid, service_account)
      VALUES (@rule, @severity, @severityRank, @agentId, @group, @clientIp, @baseDomain, @firstSeen, @lastSeen,
        @count, @score, @exposure, @bytesLeaked, @bytesAttempted, @samples, @features, @status, @statusReason,
        @mutedUntil, @updatedAt, @namespace, @pod, @podUid, @serviceAccount)`);
    this.updateStmt = db.prepare(`
      UPDATE alerts SET severity = @severity, severity_rank = @severityRank, grp = @group, client_ip = @clientIp,
        first_seen = @firstSeen, last_seen = @lastSeen, count = @count, score = @score, exposure = @exposure,
        bytes_leaked = @bytesLeaked, bytes_attempted = @bytesAttempted, samples = @samples,
        features = @features, status = @status, status_reason = @statusReason, muted_until = @mutedUntil,
        updated_at = @updatedAt, namespace = @namespace, pod = @pod, pod_uid = @podUid,
        service_account = @serviceAccount
      WHERE id = @id`);
    this.getStmt = db.prepare('SELECT * FROM alerts WHERE id = ?');
    this.findStmt = db.prepare(
      `SELECT * FROM alerts WHERE agent_id = ? AND base_domain = ? AND rule = ? AND last_seen >= ?
       ORDER BY last_seen DESC LIMIT 1`,
    );
  }

  /**
   * Upserts each alert (alert-merge.ts), all in one write transaction; returns the row ids in order. A new alert
   * joins a stored one of the same key seen within `mergeWithinMs` of its first sighting.
   */
  saveBatch(
    alerts: readonly (Readonly<AlertRecord> & { readonly dbId: number | null })[],
    nowMs: number,
    mergeWithinMs = 0,
  ): number[] {
    return this.db
      .transaction(() => alerts.map((alert) => this.save(alert.dbId, alert, nowMs, mergeWithinMs)))
      .immediate();
  }

  /** Adds this writer's growth of `alert` to row `id` (or to a mergeable row when id is null), else inserts. */
  save(id: number | null, alert: Readonly<AlertRecord>, nowMs: number, mergeWithinMs = 0): number {
    const row = (
      id === null
        ? mergeWithinMs > 0
          ? this.findStmt.get(alert.agentId, alert.baseDomain, alert.rule, alert.firstSeenMs - mergeWithinMs)
          : undefined
        : this.getStmt.get(id)
    ) as AlertRow | undefined;
    let rowId: number;
    if (row === undefined) {
      // new, or deleted behind our back (retention, manual cleanup): store it again
      rowId = Number(this.insertStmt.run(params(alert, nowMs)).lastInsertRowid);
    } else {
      rowId = row.id;
      this.updateStmt.run({ ...params(this.merger.merge(toRecord(row), alert), nowMs), id: rowId });
    }
    this.merger.remember(rowId, alert);
    return rowId;
  }

  get(id: number): StoredAlert | undefined {
    const row = this.getStmt.get(id) as AlertRow | undefined;
    return row === undefined ? undefined : toAlert(row);
  }

  list(filter: AlertFilter = {}): StoredAlert[] {
    const where: string[] = [];
    const params: Record<string, string | number> = {};
    if (filter.sinceMs !== undefined) {
      where.push('last_seen >= @since');
      params.since = filter.sinceMs;
    }
    if (filter.severity !== undefined) {
      where.push('severity_rank >= @rank');
      params.rank = severityRank(filter.severity);
    }
    if (filter.rule !== undefined) {
      where.push('rule = @rule');
      params.rule = filter.rule;
    }
    if (filter.agentId !== undefined) {
      where.push('agent_id = @agent');
      params.agent = filter.agentId;
    }
    if (filter.domain !== undefined) {
      where.push("(base_domain = @domain OR substr(base_domain, -length(@domain) - 1) = '.' || @domain)");
      params.domain = filter.domain;
    }
    if (filter.status !== undefined) {
      where.push('status = @status');
      params.status = filter.status;
    }
    for (const [column, value] of [
      ['namespace', filter.namespace],
      ['pod', filter.pod],
      ['service_account', filter.serviceAccount],
    ] as const) {
      if (value === undefined) continue;
      where.push(`${column} = @${column}`);
      params[column] = value;
    }
    const sql =
      `SELECT * FROM alerts${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}` +
      ` ORDER BY last_seen DESC, id DESC${filter.limit !== undefined ? ` LIMIT ${Math.floor(filter.limit)}` : ''}`;
    return (this.db.prepare(sql).all(params) as AlertRow[]).map(toAlert);
  }

  /** Every alert, oldest first, one at a time (export of a large table stays flat in memory). */
  *iterateAll(): Generator<StoredAlert> {
    for (const row of this.db.prepare('SELECT * FROM alerts ORDER BY id').iterate())
      yield toAlert(row as AlertRow);
  }

  /** Alerts seen at or after `sinceMs`: the server seeds its dedupe with them after a restart. */
  recent(sinceMs: number): StoredAlertRecord[] {
    const alerts = (
      this.db.prepare('SELECT * FROM alerts WHERE last_seen >= ? ORDER BY id').all(sinceMs) as AlertRow[]
    ).map(toRecord);
    this.merger.adopt(alerts);
    return alerts;
  }

  /** Returns false when no such alert. */
  ack(id: number, nowMs: number, reason: string | null = null): boolean {
    return (
      this.db
        .prepare(
          "UPDATE alerts SET status = 'acked', acked_at = ?, status_reason = ?, muted_until = NULL, updated_at = ? WHERE id = ?",
        )
        .run(nowMs, reason, nowMs, id).changes > 0
    );
  }

  /** Stores a mute and marks the open alerts it matches as muted; returns the mute id and how many alerts. */
  mute(
    mute: {
      readonly domain: string | null;
      readonly agentId: string | null;
      readonly reason: string;
      readonly untilMs: number | null;
    },
    nowMs: number,
  ): { id: number; muted: number } {
    return this.db.transaction(() => {
      const id = Number(
        this.db
          .prepare(
            'INSERT INTO alert_mutes (domain, agent_id, reason, created_at, until) VALUES (?, ?, ?, ?, ?)',
          )
          .run(mute.domain, mute.agentId, mute.reason, nowMs, mute.untilMs).lastInsertRowid,
      );
      const where = ["status = 'open'"];
      const params: (string | number | null)[] = [mute.reason, mute.untilMs, nowMs];
      if (mute.domain !== null) {
        where.push("(base_domain = ? OR substr(base_domain, -length(?) - 1) = '.' || ?)");
        params.push(mute.domain, mute.domain, mute.domain);
      }
      if (mute.agentId !== null) {
        where.push('agent_id = ?');
        params.push(mute.agentId);
      }
      const muted = this.db
        .prepare(
          `UPDATE alerts SET status = 'muted', status_reason = ?, muted_until = ?, updated_at = ? WHERE ${where.join(' AND ')}`,
        )
        .run(...params).changes;
      return { id, muted };
    })();
  }

  /** Mutes not expired at `nowMs`. */
  activeMutes(nowMs: number): MuteRecord[] {
    const rows = this.db
      .prepare('SELECT * FROM alert_mutes WHERE until IS NULL OR until >= ? ORDER BY id')
      .all(nowMs) as {
      id: number;
      domain: string | null;
      agent_id: string | null;
      reason: string;
      created_at: number;
      until: number | null;
    }[];
    return rows.map((r) => ({
      id: r.id,
      domain: r.domain,
      agentId: r.agent_id,
      reason: r.reason,
      createdAtMs: r.created_at,
      untilMs: r.until,
    }));
  }

  /** Query-log rows of the alert's agent under its base domain in [firstSeen, lastSeen], newest first. */
  sampleQueries(alert: StoredAlert, limit: number): QuerySample[] {
    const base = alert.baseDomain;
    const anyDomain = base === '*' || base.startsWith('(');
    return findQueries(this.db, {
      agent: alert.agentId,
      name: anyDomain ? undefined : `*.${base}`,
      sinceMs: Date.parse(alert.firstSeen),
      untilMs: Date.parse(alert.lastSeen),
      limit,
    }).map((q) => ({
      ts: iso(q.ts),
      clientIp: q.clientIp,
      qname: q.qname,
      qtype: q.qtype,
      decision: q.decision,
      rcode: q.rcode,
    }));
  }
}

export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}
