// The answer reader's addresses for the egress sets: A/AAAA of the answer section only, their smallest TTL,
// and none of what the rebinding guard strips.
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import { describe, it } from 'node:test';
import { RebindingGuard } from '../../../src/dns/rebinding-guard.js';
import { readUpstreamAnswer } from '../../../src/dns/upstream-answer.js';

function response(
  answers: dnsPacket.Answer[],
  additionals: dnsPacket.Answer[] = [],
): { wire: Buffer; end: number } {
  const question = { name: 'www.example.org', type: 'A' as const };
  const wire = dnsPacket.encode({
    type: 'response',
    id: 1,
    flags: 0x8180,
    questions: [question],
    answers,
    additionals,
  });
  // the question ends after the 12-byte header, the name (its length + 2 in wire form) and type/class
  return { wire, end: 12 + question.name.length + 2 + 4 };
}

describe('readUpstreamAnswer addresses', () => {
  it('lists A and AAAA of the answer section (after a CNAME) with their smallest TTL', () => {
    const { wire, end } = response(
      [
        { type: 'CNAME', name: 'www.example.org', ttl: 30, data: 'edge.example.net' },
        { type: 'A', name: 'edge.example.net', ttl: 300, data: '192.0.2.7' },
        { type: 'AAAA', name: 'edge.example.net', ttl: 120, data: '2001:db8:0:0:0:0:0:7' },
      ],
      [{ type: 'A', name: 'glue.example.net', ttl: 5, data: '192.0.2.99' }],
    );
    const answer = readUpstreamAnswer(wire, end);
    assert.deepEqual(
      answer?.addresses,
      ['192.0.2.7', '2001:db8::7'],
      'additional-section records are not answers',
    );
    assert.equal(answer.addressTtl, 120, 'the CNAME TTL does not count');
  });

  it('has none for an answer without addresses', () => {
    const { wire, end } = response([
      { type: 'CNAME', name: 'www.example.org', ttl: 30, data: 'x.example.net' },
    ]);
    const answer = readUpstreamAnswer(wire, end);
    assert.deepEqual([answer?.addresses, answer?.addressTtl], [[], 0]);
  });

  it('keeps only the public addresses once the rebinding guard has stripped the private ones', () => {
    const { wire, end } = response([
      { type: 'A', name: 'www.example.org', ttl: 60, data: '10.0.0.8' },
      { type: 'A', name: 'www.example.org', ttl: 60, data: '192.0.2.8' },
    ]);
    const read = readUpstreamAnswer(wire, end);
    assert.ok(read);
    const checked = new RebindingGuard(true, []).check('www.example.org', read, end);
    assert.deepEqual(checked?.addresses, ['192.0.2.8']);
  });
});
