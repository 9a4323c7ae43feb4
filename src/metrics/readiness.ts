// Readiness for /readyz: listeners bound, a policy loaded, the database writable (the probe and the stages' last
// real writes: a probe that writes nothing passes on a full disk). Every check must pass.
import Database from 'better-sqlite3';
import type { StoreWriteState } from '../store/store-health.js';

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: {
    readonly listeners: boolean;
    readonly policy: boolean;
    readonly database: boolean;
    /** Present when identity.kubernetes is enabled: the first pod list has synced. */
    readonly kubernetes?: boolean;
  };
  /** Why the database check fails: the last failed write's cause (SQLITE_FULL: …). */
  readonly databaseCause?: string;
}

/** Flipped by the composition root as the server starts and stops. */
export class Readiness {
  listenersBound = false;
  policyLoaded = false;
  /** The stages' last writes, set once they run. */
  storeWrites: () => StoreWriteState = () => ({ writable: true, cause: null });
  /** Set when the pod watch is on: until it has listed, no query could be attributed to its pod. */
  kubernetesSynced: (() => boolean) | undefined;

  /** `storeRequired` false (store.requiredForReady): a store that cannot write is reported, not a failure. */
  constructor(
    private readonly databaseWritable: () => boolean = () => false,
    private readonly storeRequired = true,
  ) {}

  report(): ReadinessReport {
    // only asked once the rest is up: the probe touches the file
    const up = this.listenersBound && this.policyLoaded;
    const writes = this.storeWrites();
    const checks = {
      listeners: this.listenersBound,
      policy: this.policyLoaded,
      database: up && this.databaseWritable() && writes.writable,
    };
    const ready = up && (checks.database || !this.storeRequired);
    const report = writes.cause === null ? { ready, checks } : { ready, checks, databaseCause: writes.cause };
    if (!this.kubernetesSynced) return report;
    const kubernetes = this.kubernetesSynced();
    return { ...report, ready: ready && kubernetes, checks: { ...checks, kubernetes } };
  }
}

/** SQLite result codes that say "someone else holds the write lock": the file itself is writable. */
const BUSY = new Set(['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED']);

/**
 * Probes whether the database accepts writes (file and directory writable, not SQLITE_READONLY, disk
 * readable), with its own connection and no busy wait, so a probe never stalls the answer path; the result
 * is kept for `cacheMs` so frequent probes cost nothing.
 */
export function databaseWritableProbe(
  path: string,
  cacheMs = 2000,
): { check: () => boolean; close: () => void } {
  if (path === ':memory:' || path === '') return { check: () => true, close: () => undefined };
  let connection: Database.Database | undefined;
  let last = { at: Number.NEGATIVE_INFINITY, ok: false };
  const probe = (): boolean => {
    try {
      connection ??= new Database(path, { fileMustExist: true, timeout: 0 });
      connection.exec('BEGIN IMMEDIATE');
      connection.exec('ROLLBACK');
      return true;
    } catch (error) {
      if (BUSY.has((error as { code?: string }).code ?? '')) return true;
      try {
        if (connection?.inTransaction) connection.exec('ROLLBACK');
        connection?.close();
      } catch {
        // the connection is dropped either way; the next probe opens a fresh one
      }
      connection = undefined;
      return false;
    }
  };
  return {
    check() {
      const now = Date.now();
      if (now - last.at >= cacheMs) last = { at: now, ok: probe() };
      return last.ok;
    },
    close() {
      connection?.close();
      connection = undefined;
    },
  };
}

/**
 * A probe for a store reached over the network: `ping` runs every `everyMs` off the answer path (at most one at a
 * time) and check() returns the last result at once, so /readyz never waits on the database.
 */
export function polledProbe(
  ping: () => Promise<boolean>,
  everyMs = 1000,
): { check: () => boolean; close: () => void } {
  let ok = false;
  let running = false;
  const tick = (): void => {
    if (running) return;
    running = true;
    ping()
      .then((result) => (ok = result))
      .catch(() => (ok = false))
      .finally(() => (running = false));
  };
  tick();
  const timer = setInterval(tick, everyMs).unref();
  return { check: () => ok, close: () => clearInterval(timer) };
}
