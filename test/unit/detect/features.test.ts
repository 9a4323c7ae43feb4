import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expectedRandomEntropy, isServiceLabel, lexicalFeatures } from '../../../src/detect/features.js';
import { ALNUM, BASE32, HEX, randomString } from './scenario.js';
import { seededRandom } from '../../helpers/seeded-random.js';

const score = (sub: string): number => lexicalFeatures(sub === '' ? [] : sub.split('.')).score;

describe('lexical score: benign look-alikes stay below 0.5', () => {
  const benign = [
    'www',
    'api',
    'mail',
    'login',
    'files',
    'e1234.dscb',
    'a1907.dscg',
    'r4---sn-ab5l6nzr',
    'ec2-54-12-34-56.compute-1',
    'ichnaea.web.prodaa',
    '41-courier.push',
    'my-really-long-service-name-for-testing',
    'internationalization.department',
    '_dmarc',
    'selector1._domainkey',
    '_acme-challenge.www',
    '_',
    '*.teams',
    'ac-qk3zv1p-shard-00-02.ab1cd',
    'objects-origin',
    'us-east-1.console',
  ];
  for (const sub of benign) {
    it(sub, () => assert.ok(score(sub) < 0.55, `${sub}: ${score(sub).toFixed(2)}`));
  }
});

describe('lexical score: encoded data reads as encoded', () => {
  const rand = seededRandom(11);
  const encoded: [string, string][] = [
    ['base32 3x52', [52, 52, 52].map((n) => randomString(rand, BASE32, n)).join('.')],
    ['hex 60+60', [60, 60].map((n) => randomString(rand, HEX, n)).join('.')],
    ['base64-ish 62', randomString(rand, ALNUM, 62)],
    ['hex 32', randomString(rand, HEX, 32)],
    ['raw bytes', 'ab\u00c3\u00a9cd\u0081'],
    ['base64 with +/', 'h4sicn03*2qaa3rlc3qudhh0aavjycxwakjehelu5klueow0zjxulgage-'],
  ];
  for (const [label, sub] of encoded) {
    it(label, () => assert.ok(score(sub) >= 0.75, `${label}: ${score(sub).toFixed(2)}`));
  }
});

describe('lexicalFeatures', () => {
  it('classifies the charset and weighs information by it', () => {
    const cases: [string, string, number][] = [
      ['0123456789', 'digits', 3.32],
      ['deadbeef01', 'hex', 4],
      ['mailserver', 'alpha', 4.7],
      ['abc234xyz7', 'base32', 5],
      ['abc123xyz9', 'alnum', 5.17],
      ['abc-123_xy', 'ldh', 5.25],
      ['ab+cd/ef==', 'printable', 6],
    ];
    for (const [sub, charset, bits] of cases) {
      const f = lexicalFeatures([sub]);
      assert.equal(f.charset, charset, sub);
      assert.ok(Math.abs(f.infoBytes - (sub.length * bits) / 8) < 0.1, `${sub}: ${f.infoBytes}`);
    }
  });

  it('normalises entropy by the charset: random hex reaches ~1 although it is only 4 bits/char', () => {
    const f = lexicalFeatures([randomString(seededRandom(3), HEX, 60)]);
    assert.ok(f.entropy < 4.01);
    assert.ok(f.entropyRatio > 0.95, String(f.entropyRatio));
  });

  it('expected random entropy approaches log2(k) for long strings and log2(n) bounds short ones', () => {
    assert.ok(Math.abs(expectedRandomEntropy(512, 16) - 4) < 0.05);
    assert.ok(expectedRandomEntropy(8, 36) <= 3);
    assert.equal(expectedRandomEntropy(1, 16), 0);
  });

  it('scores English-like words lower than random letters of the same length on bigrams', () => {
    const english = lexicalFeatures(['thunderstorm']);
    const random = lexicalFeatures([randomString(seededRandom(5), 'abcdefghijklmnopqrstuvwxyz', 12)]);
    assert.ok(english.bigramBits < random.bigramBits);
  });

  it('computes entropy exactly as a Map of counts summed in first-seen order, call after call', () => {
    const reference = (data: string): number => {
      const counts = new Map<number, number>();
      for (let i = 0; i < data.length; i++)
        counts.set(data.charCodeAt(i), (counts.get(data.charCodeAt(i)) ?? 0) + 1);
      let h = 0;
      for (const k of counts.values()) h -= (k / data.length) * Math.log2(k / data.length);
      return h;
    };
    const rng = seededRandom(11);
    const labels = [
      'aaaa',
      'j\u00e4ger\u0101',
      'x',
      randomString(rng, BASE32, 52),
      randomString(rng, ALNUM, 63),
    ];
    for (let round = 0; round < 2; round++) {
      for (const label of labels) assert.equal(lexicalFeatures([label]).entropy, reference(label), label);
    }
  });

  it('leaves service labels out of the data', () => {
    assert.ok(isServiceLabel('_dmarc'));
    assert.ok(isServiceLabel('_'));
    assert.ok(!isServiceLabel('www'));
    assert.equal(lexicalFeatures(['_dmarc']).dataLength, 0);
    assert.equal(lexicalFeatures(['_dmarc']).score, 0);
  });
});
