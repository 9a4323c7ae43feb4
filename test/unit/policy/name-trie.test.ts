import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NameTrie } from '../../../src/lib/name-trie.js';

describe('NameTrie', () => {
  const trie = new NameTrie<string>();
  trie.insert('api.example.org', false, 'exact-api');
  trie.insert('example.org', true, 'wild-example');
  trie.insert('deep.example.org', true, 'wild-deep');
  trie.insert('cdn.example.net', false, 'exact-cdn');
  const all = (): boolean => true;

  const cases: [string, string | undefined][] = [
    ['api.example.org', 'exact-api'],
    ['www.example.org', 'wild-example'],
    ['a.b.example.org', 'wild-example'],
    ['example.org', undefined], // "*.x" does not match "x"
    ['x.deep.example.org', 'wild-deep'],
    ['deep.example.org', 'wild-example'],
    ['cdn.example.net', 'exact-cdn'],
    ['www.cdn.example.net', undefined],
    ['example.net', undefined],
    ['org', undefined],
    ['.', undefined],
    ['', undefined],
    ['evil-example.org', undefined],
    ['api.example.org.attacker.example', undefined],
  ];
  for (const [name, expected] of cases) {
    it(`${name || '(empty)'} -> ${expected ?? 'no match'}`, () => {
      assert.equal(trie.lookup(name, all), expected);
    });
  }

  it('skips values the caller rejects and falls back to a less specific one', () => {
    assert.equal(
      trie.lookup('api.example.org', (v) => v !== 'exact-api'),
      'wild-example',
    );
  });
});
