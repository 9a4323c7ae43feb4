// Issue 19 end to end: the shipped Kubernetes config answers in-cluster Service names with their ClusterIP
// (with and without its cluster.local forward rule), still strips private addresses from public names, and
// still denies Services that are not allowlisted.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { dig } from '../helpers/dig.js';
import { REPO_ROOT, startDnsward, type Dnsward } from '../helpers/dnsward.js';
import { podGroupsAsCidrs } from '../helpers/pod-groups-as-cidrs.js';
import { startUnbound, type Unbound } from '../helpers/unbound.js';

const K8S = join(REPO_ROOT, 'deploy', 'kubernetes', 'base', 'config');
const ALLOWLIST = 'allowlist-research-agents.yaml';
const PROXY = 'egress-proxy.egress-proxy.svc.cluster.local';

interface ShippedConfig {
  listen?: unknown;
  metrics?: unknown;
  upstreams: { default: string[]; forward?: { zone: string; servers: string[] }[] };
  groups: { clients?: unknown[]; pods?: unknown }[];
  identity?: { kubernetes?: { enabled?: boolean } };
  store?: { path?: string };
}

/**
 * deploy/kubernetes/base/config/dnsward.yaml with its addresses moved to loopback: listen and metrics dropped
 * (the helper listens on a free port), every upstream pointed at `upstream`, and the agents' group claiming
 * 127.0.0.1 instead of pods by selector (the test's queries come from loopback). Nothing else changes.
 */
function shippedConfig(upstream: string, keepForward: boolean): Record<string, unknown> {
  const config = parse(readFileSync(join(K8S, 'dnsward.yaml'), 'utf8')) as ShippedConfig;
  delete config.listen;
  delete config.metrics;
  // the database in the helper's temp dir, not the pod's volume path
  delete config.store?.path;
  config.upstreams.default = [upstream];
  config.upstreams.forward = keepForward
    ? (config.upstreams.forward ?? []).map((rule) => ({ ...rule, servers: [upstream] }))
    : [];
  podGroupsAsCidrs(config, ['127.0.0.1/32']);
  return config as unknown as Record<string, unknown>;
}

describe('deploy/kubernetes/base/config with a kube-dns stand-in', () => {
  let unbound: Unbound;
  const servers: Dnsward[] = [];

  before(async () => {
    unbound = await startUnbound(
      'cluster.local',
      [
        `${PROXY}. 30 IN A 10.96.0.50`,
        `other.default.svc.cluster.local. 30 IN A 10.96.0.77`,
        'example.org. 300 IN A 192.0.2.80',
        // an allowlisted public name whose answer points inside the cluster: a rebinding attempt
        'api.openai.com. 300 IN A 10.96.0.50',
      ],
      ['local-zone: "example.org." static', 'local-zone: "openai.com." static'],
    );
  });
  after(async () => {
    for (const server of servers) await server.stop();
    await unbound.stop();
  });

  for (const keepForward of [true, false]) {
    const label = keepForward ? 'as shipped (cluster.local forward rule)' : 'without the forward rule';
    it(`${label}: the egress proxy resolves, example.org resolves, rebinding is stripped, other Services denied`, async () => {
      const allowlist = readFileSync(join(K8S, ALLOWLIST), 'utf8');
      const server = await startDnsward(shippedConfig(`127.0.0.1:${unbound.port}`, keepForward), {
        [ALLOWLIST]: allowlist,
      });
      servers.push(server);

      const proxy = await dig(server.port, PROXY);
      assert.equal(proxy.status, 'NOERROR');
      assert.deepEqual(proxy.answers, [`${PROXY}. 30 IN A 10.96.0.50`]);

      assert.deepEqual((await dig(server.port, 'example.org')).answers, ['example.org. 300 IN A 192.0.2.80']);

      const rebind = await dig(server.port, 'api.openai.com');
      assert.equal(rebind.status, 'NOERROR');
      assert.deepEqual(rebind.answers, [], 'a public name keeps no in-cluster address');

      const other = await dig(server.port, 'other.default.svc.cluster.local');
      assert.equal(other.status, 'NXDOMAIN', 'a Service not on the allowlist is denied');
    });
  }
});
