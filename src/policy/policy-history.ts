// The record of policies put in force (start, and every reload that changed the policy): written to the store
// off the answer path. A store that is away keeps the newest loads pending and is tried again; a reload never
// waits for it or fails because of it.
import { IntervalGate } from '../lib/interval-gate.js';
import type { PolicyLoad, PolicyLoadTrigger } from '../model/policy-version.js';
import type { PolicyVersionStore } from '../store/store.js';
import type { Policy } from './compile.js';

/** Loads kept while the store is away: far more reloads than an outage sees, and a few hundred bytes each. */
const MAX_PENDING = 100;

export function policyLoad(policy: Policy, trigger: PolicyLoadTrigger, nowMs: number): PolicyLoad {
  return {
    version: policy.version,
    loadedAt: nowMs,
    trigger,
    groups: [...policy.groups.values()].map((g) => ({
      name: g.name,
      tier: g.tier,
      mode: g.mode,
      entries: g.entries.length,
    })),
  };
}

export class PolicyHistory {
  private readonly pending: PolicyLoad[] = [];
  private store: PolicyVersionStore | undefined;
  private writing: Promise<void> | undefined;
  private readonly warnGate = new IntervalGate(60_000);

  constructor(private readonly log: { warn(obj: object, msg: string): void }) {}

  /** A policy came into force; written now if the store is attached, else when it is. */
  loaded(policy: Policy, trigger: PolicyLoadTrigger, nowMs = Date.now()): void {
    this.pending.push(policyLoad(policy, trigger, nowMs));
    // the oldest goes, unless it is the one being written right now
    if (this.pending.length > MAX_PENDING) this.pending.splice(this.writing === undefined ? 0 : 1, 1);
    void this.flush();
  }

  attach(store: PolicyVersionStore): void {
    this.store = store;
    void this.flush();
  }

  /** Writes what is pending, oldest first; on failure the rest waits for the next call (a timer, a reload). */
  async flush(): Promise<void> {
    const store = this.store;
    if (this.writing === undefined && store !== undefined && this.pending.length > 0)
      this.writing = this.write(store).finally(() => (this.writing = undefined));
    return this.writing;
  }

  private async write(store: PolicyVersionStore): Promise<void> {
    try {
      for (let load = this.pending[0]; load !== undefined; load = this.pending[0]) {
        await store.record(load);
        this.pending.shift();
      }
    } catch (error) {
      if (this.warnGate.pass('record') !== undefined)
        this.log.warn(
          { err: String(error), pending: this.pending.length },
          'policy version not recorded in the store yet (will retry)',
        );
    }
  }
}
