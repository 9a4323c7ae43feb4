import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TopCounts } from '../../../src/lib/top-counts.js';

describe('TopCounts', () => {
  it('is exact below capacity: most counted first, ties by key, data kept per key', () => {
    const counts = new TopCounts<Set<string>>(10);
    for (const [key, who] of [
      ['b', 'x'],
      ['a', 'x'],
      ['b', 'y'],
      ['c', 'x'],
      ['a', 'x'],
    ] as const)
      counts.add(key, () => new Set()).add(who);
    assert.deepEqual(
      counts.top(2).map((c) => [c.key, c.count, [...c.data]]),
      [
        ['a', 2, ['x']],
        ['b', 2, ['x', 'y']],
      ],
    );
    assert.equal(counts.approximate, false);
  });

  it('past capacity keeps the heavy hitters, bounded, and says the counts are approximate', () => {
    const counts = new TopCounts<null>(100);
    for (let i = 0; i < 10_000; i++) {
      counts.add(`unique-${i}`, () => null);
      if (i % 10 === 0) counts.add('heavy', () => null);
    }
    const top = counts.top(1000);
    assert.ok(top.length <= 100);
    assert.deepEqual(top[0], { key: 'heavy', count: 1000, data: null });
    assert.equal(counts.approximate, true);
  });
});
