// Interner: one shared value per key, built once, and a bounded table.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Interner, StringInterner } from '../../../src/lib/interner.js';

describe('Interner', () => {
  it('builds a value once per key and hands out the same one after', () => {
    const table = new Interner<object>();
    let built = 0;
    const make = (): object => ({ n: ++built });
    const a = table.intern('k', make);
    assert.equal(table.intern('k', make), a);
    assert.notEqual(table.intern('other', make), a);
    assert.equal(built, 2);
  });

  it('starts again past its capacity (values stop being shared, never wrong)', () => {
    const table = new Interner<object>(2);
    const first = table.intern('a', () => ({ a: 1 }));
    table.intern('b', () => ({}));
    table.intern('c', () => ({}));
    assert.equal(table.size, 1);
    const again = table.intern('a', () => ({ a: 1 }));
    assert.notEqual(again, first);
    assert.deepEqual(again, first);
  });

  it('interns strings and passes undefined through', () => {
    const strings = new StringInterner();
    assert.equal(strings.intern('default'), 'default');
    assert.equal(strings.intern(undefined), undefined);
    assert.equal(strings.size, 1);
  });
});
