// Pod selectors: label-selector semantics, precedence (selector over CIDR, most specific wins), tie errors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configSchema } from '../../../src/config/schema.js';
import { podSelectorSchema } from '../../../src/config/sections/pod-selector.js';
import { PodMap, type PodObject } from '../../../src/identity/pod-map.js';
import { compilePolicy } from '../../../src/policy/compile.js';
import { compileSelector, matches, PodSelectorTable } from '../../../src/policy/pod-selectors.js';
import { DnswardError } from '../../../src/errors.js';

const pod = (name: string, ip: string, labels: Record<string, string>, namespace = 'agents'): PodObject => ({
  metadata: { name, namespace, uid: `uid-${name}`, labels },
  spec: { serviceAccountName: 'sa' },
  status: { phase: 'Running', podIPs: [{ ip }] },
});

function selector(group: string, config: unknown): ReturnType<typeof compileSelector> {
  return compileSelector(group, podSelectorSchema.parse(config));
}

describe('pod selector matching', () => {
  const map = new PodMap();
  map.upsert(pod('p', '10.0.0.1', { role: 'ai-agent', tier: '3' }));
  const record = map.lookup('10.0.0.1');
  assert.ok(record);
  const cases: [string, unknown, boolean][] = [
    ['empty selector matches every pod', {}, true],
    ['matchLabels equal', { matchLabels: { role: 'ai-agent' } }, true],
    ['matchLabels other value', { matchLabels: { role: 'web' } }, false],
    ['In', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['2', '3'] }] }, true],
    ['NotIn', { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['3'] }] }, false],
    [
      'NotIn on a missing label',
      { matchExpressions: [{ key: 'x', operator: 'NotIn', values: ['a'] }] },
      true,
    ],
    ['Exists', { matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, true],
    ['DoesNotExist', { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, false],
    ['namespace', { namespaces: ['agents'] }, true],
    ['other namespace', { namespaces: ['web'], matchLabels: { role: 'ai-agent' } }, false],
  ];
  for (const [name, config, expected] of cases)
    it(name, () => assert.equal(matches(selector('g', config), record), expected));

  it('rejects In without values and Exists with values', () => {
    assert.equal(
      podSelectorSchema.safeParse({ matchExpressions: [{ key: 'a', operator: 'In' }] }).success,
      false,
    );
    const exists = { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] };
    assert.equal(podSelectorSchema.safeParse(exists).success, false);
  });
});

describe('pod selector precedence', () => {
  it('the most specific selector wins', () => {
    const table = new PodSelectorTable([
      selector('broad', { matchLabels: { role: 'ai-agent' } }),
      selector('narrow', { matchLabels: { role: 'ai-agent', tier: '3' } }),
    ]);
    const map = new PodMap();
    map.upsert(pod('a', '10.0.0.1', { role: 'ai-agent', tier: '3' }));
    map.upsert(pod('b', '10.0.0.2', { role: 'ai-agent' }));
    assert.equal(table.groupOf(map.lookup('10.0.0.1') ?? assert.fail()), 'narrow');
    assert.equal(table.groupOf(map.lookup('10.0.0.2') ?? assert.fail()), 'broad');
  });

  it('equally specific selectors that cannot overlap are fine', () => {
    assert.doesNotThrow(
      () =>
        new PodSelectorTable([
          selector('a', { matchLabels: { role: 'a' } }),
          selector('b', { matchLabels: { role: 'b' } }),
          selector('c', { matchExpressions: [{ key: 'role', operator: 'DoesNotExist' }] }),
        ]),
    );
  });

  it('a tie that could match one pod is an error naming both groups', () => {
    assert.throws(
      () =>
        new PodSelectorTable([
          selector('alpha', { matchLabels: { role: 'ai-agent' } }),
          selector('beta', { matchLabels: { tier: '3' } }),
        ]),
      /groups "alpha" and "beta"/,
    );
  });
});

describe('policy identity with pods', () => {
  const input = {
    identity: { defaultGroup: 'nobody', kubernetes: { enabled: true, agentLabel: 'app' } },
    groups: [
      { name: 'agents', tier: 2, pods: { matchLabels: { role: 'ai-agent' } } },
      { name: 'nodes', tier: 2, clients: ['10.0.0.0/8'] },
    ],
  };
  const config = configSchema.parse(input);
  const loaded = { config, file: null, baseDir: process.cwd(), defaultUpstreams: [] };
  const map = new PodMap();
  let unknown = 0;
  const pods = {
    lookup: (a: string) => map.lookup(a),
    noteUnknown: () => {
      unknown++;
    },
  };

  it('a selector beats a CIDR; unmatched pods keep their identity under the CIDR group', () => {
    map.upsert(pod('a', '10.0.0.1', { role: 'ai-agent', app: 'summariser' }));
    map.upsert(pod('w', '10.0.0.2', { role: 'web' }));
    const policy = compilePolicy(loaded, Date.now(), pods);
    const a = policy.identify('10.0.0.1');
    assert.deepEqual([a.id, a.group, a.pod?.pod], ['summariser', 'agents', 'a']);
    const w = policy.identify('10.0.0.2');
    assert.deepEqual([w.id, w.group, w.pod?.namespace], ['agents/w', 'nodes', 'agents']);
    const node = policy.identify('10.9.9.9');
    assert.deepEqual([node.id, node.group, node.pod, unknown], ['10.9.9.9', 'nodes', undefined, 1]);
  });

  it('a new pod on an old address gets the new identity at once', () => {
    const policy = compilePolicy(loaded, Date.now(), pods);
    assert.equal(policy.identify('10.0.0.1').pod?.pod, 'a');
    map.remove(pod('a', '10.0.0.1', {}));
    map.upsert(pod('b', '10.0.0.1', { role: 'web' }));
    assert.deepEqual(
      [policy.identify('10.0.0.1').pod?.pod, policy.identify('10.0.0.1').group],
      ['b', 'nodes'],
    );
  });

  it('a reload recompiles selectors over the same pod map (the map is not rebuilt)', () => {
    map.upsert(pod('r', '10.0.0.9', { role: 'ai-agent', team: 'red' }));
    const first = compilePolicy(loaded, Date.now(), pods);
    assert.equal(first.identify('10.0.0.9').group, 'agents');
    const reloaded = configSchema.parse({
      ...input,
      groups: [
        ...input.groups,
        { name: 'red', tier: 2, pods: { matchLabels: { role: 'ai-agent', team: 'red' } } },
      ],
    });
    const second = compilePolicy({ ...loaded, config: reloaded }, Date.now(), pods);
    assert.equal(second.identify('10.0.0.9').group, 'red');
    assert.deepEqual([map.size, second.identify('10.0.0.2').pod?.pod], [3, 'w'], 'the same records');
  });

  it('names both groups in the config error of a tie', () => {
    const tied = configSchema.parse({
      identity: { kubernetes: { enabled: true } },
      groups: [
        { name: 'one', tier: 2, pods: { matchLabels: { a: '1' } } },
        { name: 'two', tier: 2, pods: { matchLabels: { b: '1' } } },
      ],
    });
    assert.throws(
      () => compilePolicy({ ...loaded, config: tied }, Date.now(), pods),
      (error: unknown) =>
        error instanceof DnswardError &&
        error.details.some((d) => /groups\.pods: groups "one" and "two"/.test(d)),
    );
  });
});
