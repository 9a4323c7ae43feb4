// Bounded building blocks: sliding windows, the LRU, the 53-bit hash.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hash53 } from '../../../src/lib/hash.js';
import { Lru } from '../../../src/lib/lru.js';
import { SlidingWindow } from '../../../src/detect/sliding-window.js';
import { WindowStore } from '../../../src/detect/windows.js';

describe('SlidingWindow', () => {
  it('sums values inside the window per channel', () => {
    const w = new SlidingWindow(60_000, 6, 2);
    w.add(0, 0, 5);
    w.add(15_000, 0, 1);
    w.add(15_000, 1, 7);
    assert.equal(w.sum(15_000, 0), 6);
    assert.equal(w.sum(15_000, 1), 7);
  });

  it('drops slices as they leave the window', () => {
    const w = new SlidingWindow(60_000, 6, 1);
    w.add(0, 0, 5);
    w.add(30_000, 0, 1);
    assert.equal(w.sum(59_999, 0), 6);
    assert.equal(w.sum(60_000, 0), 1);
    assert.equal(w.sum(95_000, 0), 0);
  });

  it('clears everything after a long gap', () => {
    const w = new SlidingWindow(60_000, 6, 1);
    w.add(0, 0, 5);
    assert.equal(w.sum(10 * 60_000, 0), 0);
    w.add(10 * 60_000, 0, 2);
    assert.equal(w.sum(10 * 60_000, 0), 2);
  });

  it('ignores values older than the window, keeps slightly late ones', () => {
    const w = new SlidingWindow(60_000, 6, 1);
    w.add(120_000, 0, 1);
    w.add(50_000, 0, 100);
    w.add(110_000, 0, 2);
    assert.equal(w.sum(120_000, 0), 3);
  });
});

describe('Lru', () => {
  it('evicts the least recently used entry at capacity', () => {
    const evicted: string[] = [];
    const lru = new Lru<string, number>(2, (k) => evicted.push(k));
    lru.set('a', 1);
    lru.set('b', 2);
    lru.get('a');
    lru.set('c', 3);
    assert.deepEqual(evicted, ['b']);
    assert.equal(lru.size, 2);
    assert.equal(lru.evictions, 1);
  });

  it('never holds more than its capacity and keeps the most recent half', () => {
    const lru = new Lru<number, number>(100);
    for (let i = 0; i < 10_000; i++) lru.set(i, i);
    assert.ok(lru.size <= 100);
    for (let i = 9_950; i < 10_000; i++) assert.equal(lru.peek(i), i);
  });

  it('expire drops stale entries from both generations', () => {
    const lru = new Lru<string, number>(4);
    lru.set('a', 1);
    lru.set('b', 100);
    lru.set('c', 2);
    assert.equal(
      lru.expire((v) => v < 50),
      2,
    );
    assert.deepEqual([...lru.values()], [100]);
  });

  it('rejects a zero capacity', () => {
    assert.throws(() => new Lru(0), RangeError);
  });
});

describe('hash53', () => {
  it('is stable, seed-dependent and a safe integer', () => {
    assert.equal(hash53('abc'), hash53('abc'));
    assert.notEqual(hash53('abc', 1), hash53('abc', 2));
    assert.ok(Number.isSafeInteger(hash53('x'.repeat(300))));
  });
});

describe('WindowStore', () => {
  it('keeps one key per agent and base, whatever the order of lookups', () => {
    const store = new WindowStore({
      maxKeys: 100,
      maxAgents: 10,
      maxDomains: 100,
      maxRecentNames: 100,
      recentNameTtlMs: 1000,
      idleExpiryMs: 60_000,
    });
    const a1 = store.key('a', 'one.example', 1);
    const a2 = store.key('a', 'two.example', 2);
    const b1 = store.key('b', 'one.example', 3);
    assert.equal(new Set([a1, a2, b1]).size, 3);
    assert.equal(store.key('a', 'one.example', 4), a1);
    assert.equal(store.key('a', 'one.example', 5), a1);
    assert.equal(store.key('a', 'two.example', 6), a2);
    assert.equal(store.key('b', 'one.example', 7), b1);
    assert.equal(store.keys.size, 3);
  });
});
