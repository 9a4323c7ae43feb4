// Backoff: exponential steps, capped, jittered within the upper half of each step, reset after a success.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backoff } from '../../../src/lib/backoff.js';

describe('Backoff', () => {
  it('doubles from the base up to the cap', () => {
    const top = new Backoff({ baseMs: 100, maxMs: 1000, random: () => 0.999999 });
    assert.deepEqual(
      Array.from({ length: 6 }, () => top.next()),
      [100, 200, 400, 800, 1000, 1000],
    );
    assert.equal(top.failures, 6);
  });

  it('never waits less than half a step, and the jitter spreads the rest', () => {
    const low = new Backoff({ baseMs: 100, maxMs: 1000, random: () => 0 });
    assert.deepEqual(
      Array.from({ length: 5 }, () => low.next()),
      [50, 100, 200, 400, 500],
    );
    const seen = new Set<number>();
    for (let i = 0; i < 50; i++) {
      const b = new Backoff({ baseMs: 1000, maxMs: 1000 });
      const delay = b.next();
      assert.ok(delay >= 500 && delay <= 1000, String(delay));
      seen.add(delay);
    }
    assert.ok(seen.size > 10, 'replicas failing together retry at different times');
  });

  it('starts again from the base after reset()', () => {
    const b = new Backoff({ baseMs: 10, maxMs: 10_000, random: () => 0.999999 });
    for (let i = 0; i < 40; i++) b.next(); // no overflow however long the outage
    assert.equal(b.next(), 10_000);
    b.reset();
    assert.equal(b.failures, 0);
    assert.equal(b.next(), 10);
  });
});
