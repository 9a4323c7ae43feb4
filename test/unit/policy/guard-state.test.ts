// Guard state: token buckets and exfiltration budgets behave as documented and stay bounded under floods.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExfilBudgets } from '../../../src/policy/exfil-budget.js';
import { TokenBuckets } from '../../../src/policy/token-buckets.js';

describe('TokenBuckets', () => {
  it('allows a burst, then the sustained rate', () => {
    const buckets = new TokenBuckets(100);
    const limit = { qps: 10, burst: 5 };
    const taken = Array.from({ length: 8 }, () => buckets.take('a', limit, 0)).filter(Boolean).length;
    assert.equal(taken, 5);
    assert.equal(buckets.take('a', limit, 100), true); // 100 ms at 10 q/s refills one token
    assert.equal(buckets.take('a', limit, 100), false);
    assert.equal(buckets.take('b', limit, 100), true); // other keys are independent
  });

  it('keeps at most its capacity under a spoofed-source flood', () => {
    const buckets = new TokenBuckets(1000);
    for (let i = 0; i < 100_000; i++)
      buckets.take(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, { qps: 1, burst: 1 }, i);
    assert.ok(buckets.size <= 1000, `size ${buckets.size}`);
  });
});

describe('ExfilBudgets', () => {
  const limit = { window: 60_000, uniqueSubdomains: 3, bytes: 1000 };

  it('spends new names, keeps seen ones, refuses new ones past the budget, resets with the window', () => {
    const budgets = new ExfilBudgets(100);
    assert.deepEqual(
      ['a', 'b', 'c', 'd', 'a'].map((sub) => budgets.spend('agent|x.example', sub, limit, 0)),
      [true, true, true, false, true],
    );
    assert.equal(budgets.spend('agent|x.example', 'd', limit, 60_000), true);
  });

  it('counts bytes of new subdomains', () => {
    const budgets = new ExfilBudgets(100);
    const big = { ...limit, uniqueSubdomains: 100, bytes: 100 };
    assert.equal(budgets.spend('k', 'x'.repeat(60), big, 0), true);
    assert.equal(budgets.spend('k', 'y'.repeat(60), big, 0), false);
  });

  it('stays bounded when every query is a new key', () => {
    const budgets = new ExfilBudgets(500);
    for (let i = 0; i < 50_000; i++) budgets.spend(`agent|d${i}.example`, `n${i}`, limit, i);
    assert.ok(budgets.size <= 500);
  });
});
