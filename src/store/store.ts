// The store interface: everything the server and the CLI write or read, one implementation per engine
// (sqlite-store.ts, postgres/postgres-store.ts); callers hold a Store and never ask which engine it is.
import type { AlertState, AlertRecord, Mute, StoredAlert, StoredAlertRecord } from '../model/alert.js';
import type { PolicyLoad, PolicyVersion } from '../model/policy-version.js';
import type { NewQuarantine, Quarantine } from '../model/quarantine.js';
import type { QueryEvent } from '../model/query-event.js';
import type { AlertFilter, MuteRecord } from './alert-repository.js';
import type { EntryHits } from './allowlist-hits.js';
import type { LoggedQuery, QueryFilter } from './query-log-reader.js';

export type { LoggedQuery } from './query-log-reader.js';

export interface AlertStore {
  /**
   * Upserts the changed alerts of one detection batch in one transaction and sets each one's dbId. A new alert
   * (dbId null) joins a stored one of the same (agent, base domain, rule) seen within `mergeWithinMs`, written by
   * any replica: counts and bytes add up, last seen and severity take the maximum.
   */
  saveBatch(alerts: readonly AlertState[], nowMs: number, mergeWithinMs: number): Promise<void>;
  /** A new alert of its own (the quarantine notice); returns its id. */
  add(alert: Readonly<AlertRecord>, nowMs: number): Promise<number>;
  get(id: number): Promise<StoredAlert | undefined>;
  list(filter?: AlertFilter): Promise<StoredAlert[]>;
  /** Every alert, oldest first. */
  all(): Promise<StoredAlert[]>;
  /** Alerts seen at or after `sinceMs` (dedupe continues on them after a restart). */
  recent(sinceMs: number): Promise<StoredAlertRecord[]>;
  ack(id: number, nowMs: number, reason: string | null): Promise<boolean>;
  mute(mute: Mute, nowMs: number): Promise<{ id: number; muted: number }>;
  activeMutes(nowMs: number): Promise<MuteRecord[]>;
}

export interface QuarantineStore {
  /** Stores a quarantine, or joins the active one of the same agent, scope and base domain (fleet-wide); its id. */
  add(q: NewQuarantine): Promise<number>;
  /** Unreleased quarantines that have not run out at `now`. */
  active(now: number): Promise<Quarantine[]>;
  all(): Promise<Quarantine[]>;
  release(target: { id: number } | { agentId: string }, now: number): Promise<number>;
}

export interface QueryLogStore {
  /** One batch of query events (`rowsJson` = encodeRows(batch), made once where the batch was handed over). */
  /** False when the engine refused the rows by design (SQLite at store.queryLogMaxMiB): dropped, to be counted. */
  write(batch: readonly QueryEvent[], rowsJson: string): Promise<boolean>;
  recordDrops(dropped: number, nowMs: number): Promise<void>;
  /** Newest first, at most `filter.limit` (default 1000). */
  find(filter: QueryFilter): Promise<LoggedQuery[]>;
  /** Every query matching `filter`, oldest first (SQLite: in the order segments were written). */
  scan(filter: QueryFilter): AsyncIterable<LoggedQuery>;
  count(): Promise<number>;
  /** Query events dropped before the log (queue full, log not written) since `sinceMs`, per writing replica. */
  drops(sinceMs: number): Promise<DropTally[]>;
  /** Drops what is past retention; returns how many units (segments or day partitions) went. */
  prune(nowMs: number): Promise<number>;
}

export interface AllowlistHitStore {
  /** Adds a batch's hits per (group, entry domain). */
  add(hits: readonly EntryHits[]): Promise<void>;
  /** Every hit row, keyed hitKey(group, domain). */
  read(): Promise<Map<string, EntryHits>>;
  /** Since when hits are recorded (epoch ms), or null. */
  trackingSince(): Promise<number | null>;
}

export interface DropTally {
  readonly instance: string;
  readonly dropped: number;
  /** Epoch ms of the newest drop report. */
  readonly lastMs: number;
}

export interface PolicyVersionStore {
  /** A policy this replica put in force. */
  record(load: PolicyLoad): Promise<void>;
  /**
   * Every load at or after `sinceMs` plus the newest one before it (the policy in force when the window opened),
   * oldest first.
   */
  list(sinceMs: number): Promise<PolicyVersion[]>;
}

export interface StoreStatus {
  readonly engine: 'sqlite' | 'postgres';
  /** The newest migration applied. */
  readonly schemaVersion: number;
  /** The newest migration this build ships. */
  readonly latestVersion: number;
  /** Epoch ms of the newest query-log row, or null when empty. */
  readonly newestRowMs: number | null;
}

export interface Store {
  readonly alerts: AlertStore;
  readonly quarantines: QuarantineStore;
  readonly queryLog: QueryLogStore;
  readonly allowlistHits: AllowlistHitStore;
  readonly policyVersions: PolicyVersionStore;
  /** Connectivity and schema version; throws when the database cannot be reached. */
  check(): Promise<StoreStatus>;
  close(): Promise<void>;
}
