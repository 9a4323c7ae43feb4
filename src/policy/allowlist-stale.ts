// `dnsward allowlist stale`: entries with no traffic for N days. An entry is judged only once it has
// existed, and hits have been recorded, for N days: a new entry or a fresh database is not "stale" yet.
import type { AllowlistEntry } from './allowlist-file.js';

const DAY_MS = 86_400_000;

export interface StaleEntry {
  readonly group: string;
  readonly domain: string;
  readonly file: string;
  readonly line: number;
  readonly owner: string;
  readonly added: string;
  readonly expires: string | null;
  readonly expired: boolean;
  readonly hits: number;
  /** Epoch ms of the last allowed query, or null if none was recorded. */
  readonly lastHit: number | null;
  /** Whole days since the last hit (or since the entry was added or tracking began, if later). */
  readonly idleDays: number;
}

export interface StaleReport {
  readonly days: number;
  readonly now: number;
  readonly trackingSince: number | null;
  /** Entries looked at. */
  readonly checked: number;
  /** Entries without a recent hit that are too new (or tracked too briefly) to judge. */
  readonly tooNew: number;
  readonly stale: readonly StaleEntry[];
}

export interface EntryGroupInput {
  readonly name: string;
  readonly entries: readonly AllowlistEntry[];
}

export interface HitInfo {
  readonly hits: number;
  readonly lastHit: number;
}

export function findStaleEntries(
  groups: Iterable<EntryGroupInput>,
  hitsOf: (group: string, domain: string) => HitInfo | undefined,
  trackingSince: number | null,
  now: number,
  days: number,
): StaleReport {
  const cutoff = now - days * DAY_MS;
  const stale: StaleEntry[] = [];
  let checked = 0;
  let tooNew = 0;
  for (const group of groups) {
    for (const entry of group.entries) {
      checked++;
      const hit = hitsOf(group.name, entry.domain);
      const addedAt = Date.parse(`${entry.added}T00:00:00Z`);
      const since = Math.max(hit?.lastHit ?? Number.NEGATIVE_INFINITY, addedAt, trackingSince ?? now);
      if (since > cutoff) {
        if (hit === undefined || hit.lastHit <= cutoff) tooNew++;
        continue;
      }
      stale.push({
        group: group.name,
        domain: entry.domain,
        file: entry.file,
        line: entry.line,
        owner: entry.owner,
        added: entry.added,
        expires: entry.expires ?? null,
        expired: entry.expiresAt <= now,
        hits: hit?.hits ?? 0,
        lastHit: hit?.lastHit ?? null,
        idleDays: Math.floor((now - since) / DAY_MS),
      });
    }
  }
  stale.sort(
    (a, b) => b.idleDays - a.idleDays || a.group.localeCompare(b.group) || a.domain.localeCompare(b.domain),
  );
  return { days, now, trackingSince, checked, tooNew, stale };
}
