// PolicyHistory: loads made before the store is attached, or while it refuses writes, are kept in order and
// written once it answers; a failure is logged, never thrown.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/load.js';
import { compilePolicy } from '../../../src/policy/compile.js';
import { PolicyHistory } from '../../../src/policy/policy-history.js';
import type { PolicyLoad, PolicyVersion } from '../../../src/model/policy-version.js';
import type { PolicyVersionStore } from '../../../src/store/store.js';

class FlakyStore implements PolicyVersionStore {
  readonly written: PolicyLoad[] = [];
  down = false;
  async record(load: PolicyLoad): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    if (this.down) throw new Error('connection refused');
    this.written.push(load);
  }
  async list(): Promise<PolicyVersion[]> {
    return Promise.resolve([]);
  }
}

const policy = compilePolicy(loadConfig(undefined));

describe('PolicyHistory', () => {
  it('holds loads until the store is attached, then writes them oldest first with their groups', async () => {
    const warnings: string[] = [];
    const history = new PolicyHistory({ warn: (_, msg) => warnings.push(msg) });
    history.loaded(policy, 'start', 1000);
    history.loaded(policy, 'signal', 2000);
    const store = new FlakyStore();
    history.attach(store);
    await history.flush();
    assert.deepEqual(
      store.written.map((l) => [l.version, l.trigger, l.loadedAt]),
      [
        [policy.version, 'start', 1000],
        [policy.version, 'signal', 2000],
      ],
    );
    assert.deepEqual(
      store.written[0]?.groups,
      [...policy.groups.values()].map((g) => ({
        name: g.name,
        tier: g.tier,
        mode: g.mode,
        entries: g.entries.length,
      })),
    );
    assert.deepEqual(warnings, []);
  });

  it('keeps what a store that is down refused and writes it on the next flush, warning once', async () => {
    const warnings: string[] = [];
    const history = new PolicyHistory({ warn: (_, msg) => warnings.push(msg) });
    const store = new FlakyStore();
    store.down = true;
    history.attach(store);
    history.loaded(policy, 'start', 1);
    await history.flush();
    history.loaded(policy, 'file-change', 2);
    await history.flush();
    assert.equal(store.written.length, 0);
    assert.equal(warnings.length, 1, 'a second failure within a minute is not logged again');
    store.down = false;
    await history.flush();
    assert.deepEqual(
      store.written.map((l) => l.loadedAt),
      [1, 2],
    );
  });

  it('keeps only the newest 100 loads while the store is away', async () => {
    const history = new PolicyHistory({ warn: () => undefined });
    for (let i = 0; i < 150; i++) history.loaded(policy, 'signal', i);
    const store = new FlakyStore();
    history.attach(store);
    await history.flush();
    assert.equal(store.written.length, 100);
    assert.equal(store.written[0]?.loadedAt, 50);
    assert.equal(store.written.at(-1)?.loadedAt, 149);
  });
});
