import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AlertBook, type Observation } from '../../../src/detect/dedupe.js';

function obs(agentId: string, baseDomain: string, rule: string, ts: number): Observation {
  return {
    rule,
    severity: 'low',
    score: 10,
    features: {},
    agentId,
    group: 'g',
    clientIp: '10.0.0.1',
    baseDomain,
    ts,
    qname: `q.${baseDomain}`,
    forwarded: true,
    bytes: { kind: 'query', leaked: 1, attempted: 1 },
  };
}

describe('AlertBook', () => {
  it('keeps one alert per (agent, base domain, rule) whatever order they interleave in', () => {
    const book = new AlertBook({ suppressionWindowMs: 60_000, maxSamples: 5, maxOpen: 100 });
    const keys: [string, string, string][] = [
      ['a', 'x.example', 'r1'],
      ['a', 'x.example', 'r2'],
      ['a', 'y.example', 'r1'],
      ['b', 'x.example', 'r1'],
      ['a', 'x.example', 'r1'],
      ['b', 'x.example', 'r2'],
      ['a', 'x.example', 'r2'],
    ];
    keys.forEach(([agent, base, rule], i) => book.record(obs(agent, base, rule, 1000 + i)));
    const alerts = book.allAlerts().map((a) => `${a.agentId} ${a.baseDomain} ${a.rule} ${String(a.count)}`);
    assert.deepEqual(alerts, [
      'a x.example r1 2',
      'a x.example r2 2',
      'a y.example r1 1',
      'b x.example r1 1',
      'b x.example r2 1',
    ]);
  });
});
