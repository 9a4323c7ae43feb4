// Whether the store's last writes succeeded, and the real cause when they did not (SQLITE_FULL, SQLITE_IOERR, …):
// /readyz reads it, because a probe transaction that writes nothing succeeds on a full disk.

export interface StoreWriteState {
  readonly writable: boolean;
  /** "SQLITE_FULL: database or disk is full" of the last failed write; null while writes succeed. */
  readonly cause: string | null;
}

/** SQLite codes that mean another connection holds the lock: the store itself can still write. */
const BUSY = /^SQLITE_(BUSY|LOCKED)/;

export class StoreHealth implements StoreWriteState {
  cause: string | null = null;

  get writable(): boolean {
    return this.cause === null;
  }

  succeeded(): void {
    this.cause = null;
  }

  /** Records a failed write; a lock held elsewhere is not a broken store. Returns the cause text. */
  failed(error: unknown): string {
    const text = describeStoreError(error);
    if (!BUSY.test(text)) this.cause = text;
    return text;
  }
}

/** `CODE: message` for an SQLite error, else the message. */
export function describeStoreError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' ? `${code}: ${message}` : message;
}
