// The pod watch against a loopback API server speaking the real protocol, through the real client-node.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { kubernetesSection } from '../../../src/config/sections/kubernetes.js';
import { PodWatch } from '../../../src/identity/pod-watch.js';
import { FakeKubeApi } from '../../helpers/fake-kube-api.js';
import { waitFor } from '../../helpers/processes.js';

const silent = pino({ level: 'silent' });

function podWatch(api: FakeKubeApi, namespaces: string[] = [], listPageSize?: number): PodWatch {
  const config = kubernetesSection.parse({ enabled: true, kubeconfig: api.kubeconfig(), namespaces });
  return new PodWatch(config, silent, {
    retryBaseMs: 50,
    retryMaxMs: 200,
    ...(listPageSize !== undefined && { listPageSize }),
  });
}

describe('pod watch', () => {
  const api = new FakeKubeApi(100);
  let watch: PodWatch;

  before(async () => {
    await api.start();
    api.addPod({
      name: 'agent-a',
      labels: { role: 'ai-agent' },
      ips: ['10.1.0.1', 'fd00::1'],
      serviceAccount: 'sa-a',
    });
    watch = podWatch(api);
    watch.start();
    await waitFor(() => watch.synced, 10_000, 'first list');
  });
  after(async () => {
    await watch.stop();
    await api.stop();
  });

  it('lists pods with their IPv4 and IPv6 addresses', () => {
    const v4 = watch.map.lookup('10.1.0.1');
    assert.equal(v4?.pod, 'agent-a');
    assert.equal(v4.serviceAccount, 'sa-a');
    assert.deepEqual(v4.labels, { role: 'ai-agent' });
    assert.equal(watch.map.lookup('FD00::1'), v4);
    assert.equal(watch.map.lookup('::ffff:10.1.0.1'), v4);
  });

  it('follows add, modify and delete from the watch stream', async () => {
    api.addPod({ name: 'agent-b', ips: ['10.1.0.2'] });
    await waitFor(() => watch.map.lookup('10.1.0.2') !== undefined, 5000, 'added pod');
    api.addPod({ name: 'agent-b', ips: ['10.1.0.2'], labels: { tier: '3' } });
    await waitFor(() => watch.map.lookup('10.1.0.2')?.labels.tier === '3', 5000, 'modified pod');
    api.deletePod('agent-b');
    await waitFor(() => watch.map.lookup('10.1.0.2') === undefined, 5000, 'deleted pod');
    assert.equal(watch.map.lookup('10.1.0.1')?.pod, 'agent-a');
  });

  it('drops a finished pod and gives its address to the next pod', async () => {
    api.addPod({ name: 'job-1', ips: ['10.1.0.3'] });
    await waitFor(() => watch.map.lookup('10.1.0.3')?.pod === 'job-1', 5000, 'job-1');
    api.addPod({ name: 'job-1', ips: ['10.1.0.3'], phase: 'Succeeded' });
    await waitFor(() => watch.map.lookup('10.1.0.3') === undefined, 5000, 'job-1 finished');
    api.addPod({ name: 'job-2', ips: ['10.1.0.3'] });
    await waitFor(() => watch.map.lookup('10.1.0.3')?.pod === 'job-2', 5000, 'job-2');
    api.deletePod('job-1');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(watch.map.lookup('10.1.0.3')?.pod, 'job-2', 'the old pod leaving does not take the new one');
  });

  it('resumes a dropped watch from its resourceVersion, replaying what it missed', async () => {
    const lists = api.lists;
    const restarts = watch.restarts;
    api.dropWatches();
    api.addPod({ name: 'agent-c', ips: ['10.1.0.4'] });
    await waitFor(() => watch.map.lookup('10.1.0.4') !== undefined, 10_000, 'missed pod replayed');
    assert.equal(api.lists, lists, 'no relist needed');
    assert.ok(watch.restarts > restarts);
    assert.ok(
      api.watchFrom.slice(1).every((rv) => rv !== ''),
      'every resumed watch names a resourceVersion',
    );
  });

  it('relists after 410 Gone and keeps no stale pod', async () => {
    const lists = api.lists;
    await api.stop();
    api.deleteSilently('agent-c');
    api.addPod({ name: 'agent-d', ips: ['10.1.0.5'] });
    api.compact();
    await api.start();
    await waitFor(() => api.lists > lists && watch.map.lookup('10.1.0.5') !== undefined, 10_000, 'relist');
    assert.equal(watch.map.lookup('10.1.0.4'), undefined, 'pod deleted during the gap is gone');
    assert.equal(watch.map.lookup('10.1.0.1')?.pod, 'agent-a');
  });

  it('keeps the last known map while the API server is down', async () => {
    await api.stop();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(watch.map.lookup('10.1.0.1')?.pod, 'agent-a');
    assert.equal(watch.synced, true);
    await api.start();
    api.addPod({ name: 'agent-e', ips: ['10.1.0.6'] });
    await waitFor(() => watch.map.lookup('10.1.0.6') !== undefined, 10_000, 'watch back');
  });
});

describe('pod watch with the API server down at start', () => {
  it('is not synced until the first list succeeds, then watches one namespace', async () => {
    const api = new FakeKubeApi(100);
    await api.start();
    const port = api.port;
    await api.stop();
    const watch = podWatch(api, ['agents']);
    watch.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(watch.synced, false);
      api.addPod({ namespace: 'agents', name: 'a1', ips: ['10.2.0.1'] });
      api.addPod({ namespace: 'other', name: 'o1', ips: ['10.2.0.2'] });
      await api.start(port);
      await waitFor(() => watch.synced, 10_000, 'sync after the API came up');
      assert.equal(watch.map.lookup('10.2.0.1')?.namespace, 'agents');
      assert.equal(watch.map.lookup('10.2.0.2'), undefined, 'other namespaces are not watched');
    } finally {
      await watch.stop();
      await api.stop();
    }
  });
});

describe('pod watch, first list in pages', () => {
  const PODS = 1234;
  const PAGE = 100;
  const addPods = (api: FakeKubeApi, prefix: string, from: number, count: number): void => {
    for (let i = from; i < from + count; i++)
      api.addPod({
        namespace: 'agents',
        name: `${prefix}-${i}`,
        ips: [`10.3.${i >> 8}.${i & 255}`],
        labels: { role: 'ai-agent', tier: String(2 + (i % 3)) },
      });
  };

  it('reads every page of a chunked list, and pods with the same labels share one label set', async () => {
    const api = new FakeKubeApi(100);
    await api.start();
    addPods(api, 'agent', 0, PODS);
    const watch = podWatch(api, [], PAGE);
    watch.start();
    try {
      await waitFor(() => watch.synced, 10_000, 'first list');
      assert.equal(watch.map.size, PODS);
      assert.equal(api.continuedLists, Math.ceil(PODS / PAGE) - 1);
      for (let i = 0; i < PODS; i += 97)
        assert.equal(watch.map.lookup(`10.3.${i >> 8}.${i & 255}`)?.pod, `agent-${i}`);
      const a = watch.map.lookup('10.3.0.0');
      const b = watch.map.lookup('10.3.0.3');
      const c = watch.map.lookup('10.3.0.1');
      assert.ok(a && b && c);
      assert.deepEqual(a.labels, { role: 'ai-agent', tier: '2' });
      assert.equal(a.labels, b.labels, 'one shared object for one label set');
      assert.notEqual(a.labels, c.labels);
    } finally {
      await watch.stop();
      await api.stop();
    }
  });

  it('starts the list again when its continue token expired, and misses no pod', async () => {
    const api = new FakeKubeApi(100);
    await api.start();
    addPods(api, 'agent', 0, PODS);
    api.expireNextContinue();
    const watch = podWatch(api, [], PAGE);
    watch.start();
    try {
      await waitFor(() => watch.synced, 10_000, 'first list');
      assert.equal(watch.map.size, PODS);
      // one first page, a 410 on the second, then the whole list again
      assert.equal(api.lists, 2 + Math.ceil(PODS / PAGE));
      assert.equal(watch.restarts, 0, 'the expired token is handled inside the list, not by the retry path');
      addPods(api, 'late', PODS, 1);
      await waitFor(
        () => watch.map.lookup(`10.3.${PODS >> 8}.${PODS & 255}`)?.pod === `late-${PODS}`,
        5000,
        'watch after the list',
      );
    } finally {
      await watch.stop();
      await api.stop();
    }
  });
});
