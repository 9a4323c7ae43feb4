// `conntrack -E -o timestamp,id` lines, table-driven: both tuples, counters, the entry id, other shapes ignored.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConntrackLine } from '../../../src/egress/conntrack-line.js';

describe('parseConntrackLine', () => {
  it('reads a NEW tcp line (no counters yet)', () => {
    const r = parseConntrackLine(
      '[1796227635.928830]\t    [NEW] tcp      6 120 SYN_SENT src=10.77.1.2 dst=10.77.2.10 sport=47250 dport=8080 [UNREPLIED] src=10.77.2.10 dst=10.77.1.2 sport=8080 dport=47250 id=3334858670',
    );
    assert.deepEqual(r, {
      kind: 'new',
      ts: 1796227635928,
      proto: 'tcp',
      orig: { src: '10.77.1.2', dst: '10.77.2.10', sport: 47250, dport: 8080, packets: 0, bytes: 0 },
      reply: { src: '10.77.2.10', dst: '10.77.1.2', sport: 8080, dport: 47250, packets: 0, bytes: 0 },
      id: '3334858670',
      deltaS: null,
    });
  });

  it('reads a DESTROY tcp line with accounting and timestamps', () => {
    const r = parseConntrackLine(
      '[1796227646.585684]\t[DESTROY] tcp      6 TIME_WAIT src=10.77.1.2 dst=10.77.2.10 sport=47250 dport=8080 packets=6 bytes=399 src=10.77.2.10 dst=10.77.1.2 sport=8080 dport=47250 packets=6 bytes=1714 [ASSURED] delta-time=1 id=3334858670',
    );
    assert.ok(r);
    assert.equal(r.kind, 'destroy');
    assert.deepEqual([r.orig.packets, r.orig.bytes, r.reply.packets, r.reply.bytes], [6, 399, 6, 1714]);
    assert.equal(r.deltaS, 1);
    assert.equal(r.id, '3334858670');
  });

  const cases: { name: string; line: string; check: (r: ReturnType<typeof parseConntrackLine>) => void }[] = [
    {
      name: 'udp',
      line: '[1.5]\t[DESTROY] udp      17 src=10.0.0.2 dst=192.0.2.1 sport=5000 dport=443 packets=3 bytes=3000 src=192.0.2.1 dst=10.0.0.2 sport=443 dport=5000 packets=1 bytes=90 id=7',
      check: (r) =>
        assert.deepEqual(
          [r?.ts, r?.proto, r?.orig.bytes, r?.reply.bytes, r?.id],
          [1500, 'udp', 3000, 90, '7'],
        ),
    },
    {
      name: 'icmp: the tuples carry an id= of their own; the entry id is the last one',
      line: '[2.0]\t    [NEW] icmp     1 30 src=10.0.0.2 dst=192.0.2.1 type=8 code=0 id=51 [UNREPLIED] src=192.0.2.1 dst=10.0.0.2 type=0 code=0 id=51 id=999',
      check: (r) => assert.deepEqual([r?.proto, r?.orig.sport, r?.orig.dport, r?.id], ['icmp', 0, 0, '999']),
    },
    {
      name: 'IPv6 addresses as conntrack prints them',
      line: '[3.0]\t    [NEW] tcp      6 120 SYN_SENT src=2001:db8::2 dst=2001:db8:1::7 sport=1 dport=443 [UNREPLIED] src=2001:db8:1::7 dst=2001:db8::2 sport=443 dport=1 id=5',
      check: (r) =>
        assert.deepEqual(
          [r?.orig.src, r?.orig.dst, r?.reply.src],
          ['2001:db8::2', '2001:db8:1::7', '2001:db8:1::7'],
        ),
    },
    {
      name: 'UPDATE events are not read',
      line: '[4.0]\t [UPDATE] tcp      6 60 SYN_RECV src=10.0.0.2 dst=192.0.2.1 sport=1 dport=80 src=192.0.2.1 dst=10.0.0.2 sport=80 dport=1 id=5',
      check: (r) => assert.equal(r, null),
    },
    {
      name: "conntrack's own messages are not read",
      line: 'conntrack v1.4.7 (conntrack-tools): 1 flow events have been shown.',
      check: (r) => assert.equal(r, null),
    },
  ];
  for (const c of cases) it(c.name, () => c.check(parseConntrackLine(c.line)));
});
