import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IdentityTable } from '../../../src/policy/identity.js';

describe('IdentityTable', () => {
  const table = new IdentityTable(
    [
      { cidr: '10.0.0.0/8', group: 'wide', tier: 4, agent: undefined },
      { cidr: '10.42.0.0/16', group: 'research', tier: 3, agent: undefined },
      { cidr: '10.42.7.12/32', group: 'research', tier: 3, agent: 'summariser-1' },
      { cidr: 'fd00::/8', group: 'v6', tier: 2, agent: undefined },
      { cidr: 'fd00:42::/32', group: 'v6-narrow', tier: 2, agent: 'pod-v6' },
    ],
    { group: 'unknown', tier: 1 },
  );
  const cases: [string, string, string][] = [
    ['10.1.2.3', 'wide', '10.1.2.3'],
    ['10.42.9.9', 'research', '10.42.9.9'],
    ['10.42.7.12', 'research', 'summariser-1'],
    ['::ffff:10.42.7.12', 'research', 'summariser-1'],
    ['fd00:1::5', 'v6', 'fd00:1::5'],
    ['fd00:42:0:0::9', 'v6-narrow', 'pod-v6'],
    ['192.0.2.1', 'unknown', '192.0.2.1'],
    ['2001:db8::1', 'unknown', '2001:db8::1'],
  ];
  for (const [address, group, id] of cases) {
    it(`${address} -> ${group}/${id} (most specific prefix wins)`, () => {
      const agent = table.identify(address);
      assert.equal(agent.group, group);
      assert.equal(agent.id, id);
    });
  }

  it('rejects two groups claiming the same prefix', () => {
    assert.throws(
      () =>
        new IdentityTable(
          [
            { cidr: '10.0.0.0/8', group: 'a', tier: 3, agent: undefined },
            { cidr: '10.0.0.0/8', group: 'b', tier: 3, agent: undefined },
          ],
          { group: 'unknown', tier: 1 },
        ),
      /claimed by groups "a" and "b"/,
    );
  });
});
