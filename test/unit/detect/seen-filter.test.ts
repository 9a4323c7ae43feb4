import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeenFilter } from '../../../src/lib/seen-filter.js';

describe('SeenFilter', () => {
  it('reports a string as seen from its second sighting on', () => {
    const filter = new SeenFilter();
    assert.equal(filter.seenBefore('a.example.org'), false);
    assert.equal(filter.seenBefore('a.example.org'), true);
    assert.equal(filter.seenBefore('a.example.org'), true);
    assert.equal(filter.seenBefore('b.example.org'), false);
  });

  it('forgets a string once another one takes its slot', () => {
    const filter = new SeenFilter(0); // a single slot
    assert.equal(filter.seenBefore('a.example.org'), false);
    assert.equal(filter.seenBefore('b.example.org'), false);
    assert.equal(filter.seenBefore('a.example.org'), false);
    assert.equal(filter.seenBefore('a.example.org'), true);
  });
});
