// The quarantines in force, as the answer path reads them: one Map lookup per query by agent id.
import type { Quarantine } from '../model/quarantine.js';

export class QuarantineBook {
  private byAgent = new Map<string, readonly Quarantine[]>();

  /** Replaces the whole set (loaded from the database on start, on each sync, and after a new quarantine). */
  replace(active: readonly Quarantine[]): void {
    const next = new Map<string, Quarantine[]>();
    for (const q of active) {
      const list = next.get(q.agentId);
      if (list) list.push(q);
      else next.set(q.agentId, [q]);
    }
    this.byAgent = next;
  }

  get size(): number {
    let n = 0;
    for (const list of this.byAgent.values()) n += list.length;
    return n;
  }

  /** `baseOf` is only called when the agent has a quarantine, so unquarantined agents pay one Map miss. */
  blocks(agentId: string, name: string, baseOf: (name: string) => string, now: number): boolean {
    const list = this.byAgent.get(agentId);
    if (!list) return false;
    let base: string | undefined;
    for (const q of list) {
      if (q.until <= now) continue;
      if (q.scope === 'agent') return true;
      base ??= baseOf(name);
      if (q.baseDomain === base) return true;
    }
    return false;
  }
}
