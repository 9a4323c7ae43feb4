// AnswerCache: one entry per (name, qtype, class, DO), TTL expiry on read, oldest-first eviction at the cap.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { AnswerCache, cacheVariant } from '../../../src/dns/cache.js';
import { readUpstreamAnswer, type UpstreamAnswer } from '../../../src/dns/upstream-answer.js';
import type { Query } from '../../../src/model/query.js';

function answer(name: string, ttl: number, data = '192.0.2.1'): UpstreamAnswer {
  const wire = dnsPacket.encode({
    type: 'response',
    id: 1,
    questions: [{ type: 'A', name }],
    answers: [{ type: 'A', name, ttl, data }],
  });
  const questionEnd = 12 + name.length + 2 + 4;
  const read = readUpstreamAnswer(wire, questionEnd);
  assert.ok(read);
  return read;
}

const variant = (qtype: number, dnssecOk = false, qclass = 1): number =>
  cacheVariant({ qtype, qclass, dnssecOk } as Query);

const limits = { maxEntries: 3, maxTtl: 3600, negativeMaxTtl: 300 };

describe('AnswerCache', () => {
  it('keeps the answers of one name apart by qtype, class and DO', () => {
    const cache = new AnswerCache(limits);
    cache.set('a.example', variant(1), answer('a.example', 60, '192.0.2.1'), 'up', 0);
    cache.set('a.example', variant(1, true), answer('a.example', 60, '192.0.2.2'), 'up', 0);
    assert.deepEqual(cache.get('a.example', variant(1), 1)?.addresses, ['192.0.2.1']);
    assert.deepEqual(cache.get('a.example', variant(1, true), 1)?.addresses, ['192.0.2.2']);
    assert.equal(cache.get('a.example', variant(28), 1), undefined);
    assert.equal(cache.get('a.example', variant(1, false, 3), 1), undefined);
    assert.equal(cache.get('b.example', variant(1), 1), undefined);
    assert.equal(cache.size, 2);
    assert.deepEqual([cache.hits, cache.misses], [2, 3]);
  });

  it('replaces an answer of the same variant without growing', () => {
    const cache = new AnswerCache(limits);
    cache.set('a.example', variant(1), answer('a.example', 60, '192.0.2.1'), 'up', 0);
    cache.set('a.example', variant(1), answer('a.example', 60, '192.0.2.9'), 'up', 0);
    assert.equal(cache.size, 1);
    assert.deepEqual(cache.get('a.example', variant(1), 1)?.addresses, ['192.0.2.9']);
  });

  it('drops an answer read after its TTL, and caps TTLs at maxTtl', () => {
    const cache = new AnswerCache({ ...limits, maxTtl: 10 });
    cache.set('a.example', variant(1), answer('a.example', 60), 'up', 0);
    assert.ok(cache.get('a.example', variant(1), 9_999));
    assert.equal(cache.get('a.example', variant(1), 10_000), undefined);
    assert.equal(cache.size, 0);
  });

  it('evicts the oldest answer first when full', () => {
    const cache = new AnswerCache(limits);
    cache.set('a.example', variant(1), answer('a.example', 60), 'up', 0);
    cache.set('a.example', variant(28), answer('a.example', 60), 'up', 0);
    cache.set('b.example', variant(1), answer('b.example', 60), 'up', 0);
    cache.set('c.example', variant(1), answer('c.example', 60), 'up', 0);
    assert.equal(cache.size, 3);
    assert.equal(cache.get('a.example', variant(1), 1), undefined);
    assert.ok(cache.get('a.example', variant(28), 1));
    cache.set('d.example', variant(1), answer('d.example', 60), 'up', 0);
    assert.equal(cache.get('a.example', variant(28), 1), undefined);
    assert.ok(cache.get('b.example', variant(1), 1));
    assert.ok(cache.get('d.example', variant(1), 1));
  });

  it('caches nothing with maxEntries 0 or a TTL of 0', () => {
    assert.equal(
      new AnswerCache({ ...limits, maxEntries: 0 }).set(
        'a.example',
        variant(1),
        answer('a.example', 60),
        'up',
        0,
      ),
      undefined,
    );
    const cache = new AnswerCache(limits);
    assert.equal(cache.set('a.example', variant(1), answer('a.example', 0), 'up', 0), undefined);
    assert.equal(cache.size, 0);
  });
});
