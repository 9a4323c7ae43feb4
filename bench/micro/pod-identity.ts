// Micro-benchmark of pod identity: memory of the pod watch at N pods (informer cache + address map, through the
// real client against the loopback API of test/helpers), time from a pod event to the policy using it, and the
// identify step per query with pods vs CIDR-only.
// Usage: node --expose-gc --import tsx bench/micro/pod-identity.ts [PODS]
import { pino } from 'pino';
import { configSchema } from '../../src/config/schema.js';
import { kubernetesSection } from '../../src/config/sections/kubernetes.js';
import { PodWatch } from '../../src/identity/pod-watch.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { FakeKubeApi } from '../../test/helpers/fake-kube-api.js';

const PODS = Number(process.argv[2] ?? 10_000);
const LOOKUPS = 2_000_000;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

const ipOf = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
const labels = (i: number): Record<string, string> => ({
  role: 'ai-agent',
  'dnsward.example.org/tier': String(2 + (i % 3)),
  'app.kubernetes.io/instance': `agent-${i % 500}`,
  'app.kubernetes.io/name': 'research-agent',
  'pod-template-hash': '7c9d5b6f8d',
});

async function main(): Promise<void> {
  const api = new FakeKubeApi(10_000);
  await api.start();
  for (let i = 0; i < PODS; i++)
    api.addPod({
      namespace: 'agents',
      name: `agent-${i}-x7k2p`,
      ips: [ipOf(i), `fd00::${i.toString(16)}`],
      labels: labels(i),
    });
  const config = kubernetesSection.parse({ enabled: true, kubeconfig: api.kubeconfig(), resyncInterval: 0 });
  gc();
  const before = process.memoryUsage().heapUsed;
  const watch = new PodWatch(config, pino({ level: 'silent' }));
  watch.start();
  while (!watch.synced || watch.map.size < PODS) await new Promise((r) => setTimeout(r, 20));
  gc();
  const heap = process.memoryUsage().heapUsed - before;
  console.log(
    `pods ${watch.map.size}: heap +${(heap / 1048576).toFixed(2)} MiB (${Math.round(heap / PODS)} B a pod, informer cache + map)`,
  );

  const groups = [
    { name: 'agents', tier: 3, pods: { matchLabels: { role: 'ai-agent' } } },
    { name: 'tier4', tier: 4, pods: { matchLabels: { role: 'ai-agent', 'dnsward.example.org/tier': '4' } } },
  ];
  const cidrGroups = [{ name: 'agents', tier: 3, clients: ['10.0.0.0/8'] }];
  const loaded = (g: unknown[], k8s: boolean) => ({
    config: configSchema.parse({ groups: g, identity: { kubernetes: { enabled: k8s } } }),
    file: null,
    baseDir: process.cwd(),
    defaultUpstreams: [],
  });
  const withPods = compilePolicy(loaded(groups, true), Date.now(), watch);
  const cidrOnly = compilePolicy(loaded(cidrGroups, false));
  const addresses = Array.from({ length: PODS }, (_, i) => ipOf(i));
  for (const [name, policy] of [
    ['cidr-only', cidrOnly],
    ['pods', withPods],
    ['cidr-only', cidrOnly],
    ['pods', withPods],
  ] as const) {
    let sink = 0;
    const start = process.hrtime.bigint();
    for (let i = 0; i < LOOKUPS; i++) sink += policy.identify(addresses[i % PODS] as string).tier;
    const ns = Number(process.hrtime.bigint() - start) / LOOKUPS;
    console.log(
      `identify ${name}: ${ns.toFixed(1)} ns/query (${PODS} distinct addresses; ${sink > 0 ? 'ok' : ''})`,
    );
  }

  const latencies: number[] = [];
  for (let i = 0; i < 50; i++) {
    const ip = ipOf(PODS + i);
    const start = process.hrtime.bigint();
    api.addPod({ namespace: 'agents', name: `late-${i}`, ips: [ip], labels: labels(4) });
    while (withPods.identify(ip).pod === undefined) await new Promise((r) => setImmediate(r));
    latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  latencies.sort((a, b) => a - b);
  console.log(
    `pod event -> policy: median ${latencies[25]?.toFixed(2)} ms, max ${latencies.at(-1)?.toFixed(2)} ms (50 pods added, loopback API)`,
  );
  await watch.stop();
  await api.stop();
}

await main();
