// The answer-set stage: which answers open the sets (allowed only), keys per agent or per destination, TTL clamping,
// refreshes, the qname correlation; and the batch writer: one transaction at a time, dedupe, bounded, counted.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { egressSection } from '../../../src/config/sections/egress.js';
import { AnswerSets } from '../../../src/egress/answer-sets.js';
import { elementScript, NftBatch, type NftElement } from '../../../src/egress/nft-batch.js';
import { OpenedBy } from '../../../src/egress/opened-by.js';
import { event, T0 } from '../detect/scenario.js';

function stage(nftables: Record<string, unknown> = {}): {
  sets: AnswerSets;
  added: NftElement[];
  opened: OpenedBy;
} {
  const config = egressSection.parse({
    nftables: { enabled: true, minTtl: 30, maxTtl: 600, ...nftables },
  }).nftables;
  const added: NftElement[] = [];
  const opened = new OpenedBy();
  const sets = new AnswerSets(config, { add: (e) => added.push(e), close: () => Promise.resolve() }, opened);
  return { sets, added, opened };
}

const answer = { qname: 'api.example.org', answerAddresses: ['192.0.2.7', '2001:db8::7'], answerTtl: 120 };

describe('AnswerSets', () => {
  it('keys allowed answers by (agent, destination), each family in its own set', () => {
    const { sets, added, opened } = stage();
    sets.consume([event({ ...answer, clientIp: '10.0.0.5' })]);
    assert.deepEqual(added, [{ set: 'egress_agent_v4', key: '10.0.0.5 . 192.0.2.7', timeoutS: 120 }]);
    assert.equal(opened.nameAt('10.0.0.5', '192.0.2.7', T0 + 119_000), 'api.example.org');
    assert.equal(
      opened.nameAt('10.0.0.5', '192.0.2.7', T0 + 121_000),
      null,
      'not after the element timed out',
    );
    assert.equal(opened.nameAt('10.0.0.6', '192.0.2.7', T0), null, 'not for another agent');
  });

  it('keys by destination alone when perAgent is off; a mapped IPv4 client is its IPv4 address', () => {
    const { sets, added, opened } = stage({ perAgent: false });
    sets.consume([event({ ...answer, clientIp: '::ffff:10.0.0.5' })]);
    assert.deepEqual(
      added.map((e) => `${e.set} ${e.key}`),
      ['egress_v4 192.0.2.7', 'egress_v6 2001:db8::7'],
    );
    assert.equal(opened.nameAt('10.0.0.5', '2001:db8::7', T0), 'api.example.org');
  });

  it('clamps the TTL to minTtl..maxTtl', () => {
    for (const [ttl, expected] of [
      [0, 30],
      [5, 30],
      [300, 300],
      [86_400, 600],
    ] as const) {
      const { sets, added } = stage();
      sets.consume([event({ ...answer, answerTtl: ttl })]);
      assert.equal(added[0]?.timeoutS, expected, `TTL ${ttl}`);
    }
  });

  it('never adds denied, audit-only (would-deny), rate-limited or address-less answers', () => {
    const { sets, added } = stage();
    sets.consume([
      event({ ...answer, decision: 'deny' }),
      event({ ...answer, decision: 'would-deny' }),
      event({ ...answer, decision: 'rate-limited' }),
      // a rebinding-stripped answer reaches the stage without the stripped addresses
      event({ qname: 'rebind.example.org', answerAddresses: [], answerTtl: 60 }),
      event({ qname: 'cname-only.example.org' }),
    ]);
    assert.deepEqual(added, []);
  });

  it('refreshes a key only when less than half of its timeout is left', () => {
    const { sets, added, opened } = stage();
    sets.consume([event({ ...answer, ts: T0 })]);
    sets.consume([event({ ...answer, ts: T0 + 30_000, qname: 'cdn.example.org' })]);
    assert.equal(added.length, 1, 'still fresh: no second write');
    assert.equal(
      opened.nameAt('10.0.0.5', '192.0.2.7', T0 + 30_000),
      'cdn.example.org',
      'the latest name is kept',
    );
    sets.consume([event({ ...answer, ts: T0 + 61_000 })]);
    assert.equal(added.length, 2, 'past half: refreshed');
  });
});

describe('NftBatch', () => {
  const element = (key: string, timeoutS = 60): NftElement => ({ set: 'egress_v4', key, timeoutS });

  it('writes pending elements in one transaction, a key once with its longest timeout', async () => {
    const scripts: string[] = [];
    const batch = new NftBatch({
      family: 'inet',
      table: 'dnsward',
      batchMs: 1000,
      maxPending: 10,
      onError: () => assert.fail('no error expected'),
      run: (script) => {
        scripts.push(script);
        return Promise.resolve();
      },
    });
    batch.add(element('192.0.2.1', 60));
    batch.add(element('192.0.2.1', 90));
    batch.add(element('192.0.2.2'));
    await batch.close();
    assert.deepEqual(scripts, [
      elementScript('inet', 'dnsward', [element('192.0.2.1', 90), element('192.0.2.2')]),
    ]);
    assert.deepEqual([batch.transactions, batch.elements, batch.failures, batch.dropped], [1, 2, 0, 0]);
  });

  it('holds at most maxPending elements while nft is busy, counts the rest, and counts failures', async () => {
    let release: () => void = () => undefined;
    const errors: number[] = [];
    let calls = 0;
    const batch = new NftBatch({
      family: 'inet',
      table: 'dnsward',
      batchMs: 1000,
      maxPending: 2,
      onError: (_error, elements) => errors.push(elements),
      run: () => {
        calls++;
        return calls === 1
          ? new Promise((resolve) => (release = resolve))
          : Promise.reject(new Error('no such set'));
      },
    });
    batch.add(element('192.0.2.1'));
    const first = batch.flush();
    batch.add(element('192.0.2.2'));
    batch.add(element('192.0.2.3'));
    batch.add(element('192.0.2.4'));
    const second = batch.flush();
    release();
    await Promise.all([first, second]);
    await batch.close();
    assert.equal(calls, 2, 'one transaction at a time, the second after the first');
    assert.deepEqual([batch.transactions, batch.failures, batch.dropped], [1, 1, 1]);
    assert.deepEqual(errors, [2]);
  });

  it('writes each key as add, delete, add-with-timeout per set (the timeout of an existing element is replaced)', () => {
    assert.equal(
      elementScript('inet', 'dnsward', [
        { set: 'egress_agent_v4', key: '10.0.0.5 . 192.0.2.7', timeoutS: 60 },
        { set: 'egress_agent_v4', key: '10.0.0.5 . 192.0.2.8', timeoutS: 30 },
      ]),
      [
        'add element inet dnsward egress_agent_v4 { 10.0.0.5 . 192.0.2.7, 10.0.0.5 . 192.0.2.8 }',
        'delete element inet dnsward egress_agent_v4 { 10.0.0.5 . 192.0.2.7, 10.0.0.5 . 192.0.2.8 }',
        'add element inet dnsward egress_agent_v4 { 10.0.0.5 . 192.0.2.7 timeout 60s, 10.0.0.5 . 192.0.2.8 timeout 30s }',
        '',
      ].join('\n'),
    );
  });
});
