// Policy versions in force: the row shape and queries both engines share (SQLite here, PostgreSQL in
// postgres/postgres-store.ts), and the query-log drop tally beside them (both are log-completeness evidence).
import type { PolicyGroupSummary, PolicyLoad, PolicyVersion } from '../model/policy-version.js';
import type { Db } from './database.js';
import { sqliteParams, sqliteSql } from './sql-params.js';
import type { DropTally, PolicyVersionStore } from './store.js';

/** A policy_versions row: groups is TEXT (JSON) on SQLite, JSONB (already parsed) on PostgreSQL. */
export interface PolicyVersionRow {
  readonly version: string;
  readonly loaded_at: number;
  readonly instance: string;
  readonly trigger: PolicyLoad['trigger'];
  readonly groups: string | readonly PolicyGroupSummary[];
}

/** Written with PostgreSQL's `$n` placeholders; SQLite runs them as named parameters `$pN` (sqliteSql() below). */
export const INSERT_POLICY_VERSION =
  'INSERT INTO policy_versions (version, loaded_at, instance, trigger, groups) VALUES ($1, $2, $3, $4, $5)';
export const LIST_POLICY_VERSIONS = `SELECT * FROM policy_versions
  WHERE loaded_at >= $1
     OR id = (SELECT id FROM policy_versions WHERE loaded_at < $1 ORDER BY loaded_at DESC, id DESC LIMIT 1)
  ORDER BY loaded_at, id`;
export const DROP_TALLY = `SELECT instance, sum(dropped) AS dropped, max(ts) AS last_ms FROM query_log_drops
  WHERE ts >= $1 GROUP BY instance ORDER BY instance`;

export interface DropTallyRow {
  readonly instance: string;
  readonly dropped: number;
  readonly last_ms: number;
}

export function policyVersionParams(load: PolicyLoad, instance: string): (string | number)[] {
  return [load.version, load.loadedAt, instance, load.trigger, JSON.stringify(load.groups)];
}

export function toPolicyVersion(row: PolicyVersionRow): PolicyVersion {
  return {
    version: row.version,
    loadedAt: row.loaded_at,
    instance: row.instance,
    trigger: row.trigger,
    groups: typeof row.groups === 'string' ? (JSON.parse(row.groups) as PolicyGroupSummary[]) : row.groups,
  };
}

export function toDropTally(row: DropTallyRow): DropTally {
  return { instance: row.instance, dropped: row.dropped, lastMs: row.last_ms };
}

export function sqlitePolicyVersions(db: Db, instance: string, hasTable: () => boolean): PolicyVersionStore {
  return {
    record: async (load: PolicyLoad) => {
      db.prepare(sqliteSql(INSERT_POLICY_VERSION)).run(sqliteParams(policyVersionParams(load, instance)));
      return Promise.resolve();
    },
    list: async (sinceMs: number) =>
      Promise.resolve(
        hasTable()
          ? (
              db.prepare(sqliteSql(LIST_POLICY_VERSIONS)).all(sqliteParams([sinceMs])) as PolicyVersionRow[]
            ).map(toPolicyVersion)
          : [],
      ),
  };
}

export function sqliteDropTally(db: Db, sinceMs: number): DropTally[] {
  return (db.prepare(sqliteSql(DROP_TALLY)).all(sqliteParams([sinceMs])) as DropTallyRow[]).map(toDropTally);
}
