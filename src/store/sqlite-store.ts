// The SQLite engine of the Store: today's file (WAL, migrations/), the synchronous repositories behind the async
// interface; every call does its work before it returns, so callers see SQLite's ordering unchanged.
import type { AlertRecord, AlertState, Mute } from '../model/alert.js';
import type { NewQuarantine } from '../model/quarantine.js';
import type { QueryEvent } from '../model/query-event.js';
import { AlertRepository, type AlertFilter } from './alert-repository.js';
import {
  hasTable,
  hitTrackingSince,
  hitWriter,
  readAllowlistHits,
  type EntryHits,
} from './allowlist-hits.js';
import { migrationFiles, openDatabase, type Db } from './database.js';
import { sqliteDropTally, sqlitePolicyVersions } from './policy-versions.js';
import { QuarantineRepository } from './quarantine-repository.js';
import { countQueries, findQueries, scanQueries, type QueryFilter } from './query-log-reader.js';
import { QueryLogWriter } from './query-log-writer.js';
import type {
  AllowlistHitStore,
  AlertStore,
  QuarantineStore,
  PolicyVersionStore,
  QueryLogStore,
  Store,
  StoreStatus,
} from './store.js';

export interface SqliteStoreOptions {
  readonly instance: string;
  readonly retentionMs: number;
  /** CLI readers: open without writing or migrating (the server may be writing). */
  readonly readonly?: boolean;
  /** store.queryLogMaxMiB in bytes: query-log rows past it are refused (write() resolves false); null: no cap. */
  readonly queryLogMaxBytes?: number | null;
  /**
   * How long a write waits for a lock held by another connection before it fails with SQLITE_BUSY (the stages
   * hold such batches and retry). The answer thread's connection uses a few ms: it must never wait seconds.
   */
  readonly busyTimeoutMs?: number;
}

export class SqliteStore implements Store {
  readonly db: Db;
  readonly alerts: AlertStore;
  readonly quarantines: QuarantineStore;
  readonly queryLog: QueryLogStore;
  readonly allowlistHits: AllowlistHitStore;
  readonly policyVersions: PolicyVersionStore;

  constructor(path: string, options: SqliteStoreOptions) {
    const db = openDatabase(path, {
      readonly: options.readonly ?? false,
      ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs }),
    });
    this.db = db;
    // statements are prepared on first use: a read-only CLI may open a file without every table yet
    let alertRepo: AlertRepository | undefined;
    const alerts = (): AlertRepository => (alertRepo ??= new AlertRepository(db));
    let writer: QueryLogWriter | undefined;
    const log = (): QueryLogWriter =>
      (writer ??= new QueryLogWriter(
        db,
        options.retentionMs,
        options.instance,
        options.queryLogMaxBytes ?? null,
      ));
    const quarantines = new QuarantineRepository(db);
    this.alerts = {
      saveBatch: async (batch: readonly AlertState[], nowMs: number, mergeWithinMs: number) => {
        const ids = alerts().saveBatch(batch, nowMs, mergeWithinMs);
        batch.forEach((a, i) => (a.dbId = ids[i] ?? a.dbId));
        return Promise.resolve();
      },
      add: async (alert: Readonly<AlertRecord>, nowMs: number) =>
        Promise.resolve(alerts().save(null, alert, nowMs)),
      get: async (id: number) => Promise.resolve(hasTable(db, 'alerts') ? alerts().get(id) : undefined),
      list: async (filter?: AlertFilter) =>
        Promise.resolve(hasTable(db, 'alerts') ? alerts().list(filter) : []),
      all: async () => Promise.resolve(hasTable(db, 'alerts') ? [...alerts().iterateAll()] : []),
      recent: async (sinceMs: number) => Promise.resolve(alerts().recent(sinceMs)),
      ack: async (id: number, nowMs: number, reason: string | null) =>
        Promise.resolve(alerts().ack(id, nowMs, reason)),
      mute: async (mute: Mute, nowMs: number) => Promise.resolve(alerts().mute(mute, nowMs)),
      activeMutes: async (nowMs: number) => Promise.resolve(alerts().activeMutes(nowMs)),
    };
    this.quarantines = {
      add: async (q: NewQuarantine) => Promise.resolve(quarantines.add(q)),
      active: async (now: number) => Promise.resolve(quarantines.active(now)),
      all: async () => Promise.resolve(quarantines.all()),
      release: async (target, now: number) => Promise.resolve(quarantines.release(target, now)),
    };
    this.queryLog = {
      write: async (batch: readonly QueryEvent[], rowsJson: string) =>
        Promise.resolve(log().writeSegment(batch, rowsJson)),
      recordDrops: async (dropped: number, nowMs: number) => {
        log().recordDrops(dropped, nowMs);
        return Promise.resolve();
      },
      find: async (filter: QueryFilter) => Promise.resolve(findQueries(db, filter)),
      scan: (filter: QueryFilter) => toAsync(scanQueries(db, filter)),
      count: async () => Promise.resolve(countQueries(db)),
      drops: async (sinceMs: number) => Promise.resolve(sqliteDropTally(db, sinceMs)),
      prune: async (nowMs: number) => Promise.resolve(log().prune(nowMs)),
    };
    let write: ((rows: readonly EntryHits[]) => void) | undefined;
    this.allowlistHits = {
      add: async (hits: readonly EntryHits[]) => {
        (write ??= hitWriter(db))(hits);
        return Promise.resolve();
      },
      read: async () => Promise.resolve(hasTable(db, 'allowlist_hits') ? readAllowlistHits(db) : new Map()),
      trackingSince: async () => Promise.resolve(hitTrackingSince(db)),
    };
    this.policyVersions = sqlitePolicyVersions(db, options.instance, () => hasTable(db, 'policy_versions'));
  }

  async check(): Promise<StoreStatus> {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    const newest = hasTable(this.db, 'query_log_segments')
      ? (this.db.prepare('SELECT max(last_ts) AS ts FROM query_log_segments').get() as { ts: number | null })
          .ts
      : null;
    const files = migrationFiles();
    return Promise.resolve({
      engine: 'sqlite',
      schemaVersion: version,
      latestVersion: Number(files[files.length - 1]?.slice(0, 3) ?? 0),
      newestRowMs: newest,
    });
  }

  async close(): Promise<void> {
    this.db.close();
    return Promise.resolve();
  }
}

async function* toAsync<T>(items: Iterable<T>): AsyncIterable<T> {
  for (const item of items) yield await Promise.resolve(item);
}
