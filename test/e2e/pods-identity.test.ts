// Pods end to end: the real server watches a loopback Kubernetes API; pods "at" loopback addresses (dig -b) get
// their group by labels and their identity in the query log, NDJSON, alerts and quarantines.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { dig } from '../helpers/dig.js';
import { REPO_ROOT, startDnsward, type Dnsward } from '../helpers/dnsward.js';
import { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { waitFor } from '../helpers/processes.js';
import { udpQuery } from '../helpers/udp-query.js';
import { startUnbound, type Unbound } from '../helpers/unbound.js';
import { parseExposition, total } from '../unit/metrics/exposition.js';

const run = promisify(execFile);
const ZONE = 'pods.example';
const INSTANCE = 'app.kubernetes.io/instance';

interface Row {
  agentId: string;
  group: string;
  clientIp: string;
  qname: string;
  rcode: string;
  namespace: string | null;
  pod: string | null;
  podUid: string | null;
  serviceAccount: string | null;
}

async function cliJson<T>(...args: string[]): Promise<T> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args, '--json'], {
    cwd: REPO_ROOT,
  });
  return JSON.parse(stdout) as T;
}

describe('pod identity from a Kubernetes API', () => {
  const api = new FakeKubeApi(200);
  let unbound: Unbound;
  let server: Dnsward;
  let mport = 0;
  const ndjsonPath = join(mkdtempSync(join(tmpdir(), 'pods-ndjson-')), 'events.ndjson');
  const metric = async (name: string, labels: Record<string, string> = {}): Promise<number> =>
    total(parseExposition(await (await fetch(`http://127.0.0.1:${mport}/metrics`)).text()), name, labels);
  const rowsFor = async (qname: string): Promise<Row[]> =>
    (await cliJson<Row[]>('queries', '--db', server.dbPath, '--name', qname)).filter(
      (r) => r.qname === qname,
    );
  const loggedRow = async (qname: string): Promise<Row> => {
    let rows: Row[] = [];
    await waitFor(async () => (rows = await rowsFor(qname)).length > 0, 10_000, `${qname} in the query log`);
    return rows[0] as Row;
  };

  before(async () => {
    unbound = await startUnbound(
      ZONE,
      [`t.${ZONE}. 60 IN A 192.0.2.70`],
      [`local-zone: "t.${ZONE}." redirect`],
    );
    // the API server is down when dnsward starts: it must not be ready
    await api.start();
    const port = api.port;
    const kubeconfig = api.kubeconfig();
    await api.stop();
    const agent = { role: 'ai-agent', tier: 'standard' };
    api.addPod({
      namespace: 'agents',
      name: 'agent-a',
      ips: ['127.0.0.21'],
      labels: { ...agent, [INSTANCE]: 'agent-a' },
      serviceAccount: 'agent-sa',
    });
    api.addPod({
      namespace: 'agents',
      name: 'agent-b',
      ips: ['127.0.0.24', 'fd00::24'],
      labels: { role: 'ai-agent', [INSTANCE]: 'agent-b' },
    });
    api.addPod({ namespace: 'web', name: 'web-1', ips: ['127.0.0.22'], labels: { role: 'web' } });
    api.addPod({
      namespace: 'agents',
      name: 'tunnel-1',
      ips: ['127.0.0.23'],
      labels: { ...agent, [INSTANCE]: 'tunneler' },
    });
    const allow = `entries:\n  - { domain: "*.t.${ZONE}", justification: "pods e2e", owner: qa, added: 2026-01-01 }\n`;
    server = await startDnsward(
      {
        upstreams: { default: [`127.0.0.1:${unbound.port}`] },
        identity: { defaultGroup: 'nobody', kubernetes: { enabled: true, kubeconfig, agentLabel: INSTANCE } },
        groups: [
          {
            name: 'agents',
            tier: 3,
            pods: { matchLabels: { role: 'ai-agent' } },
            allowlists: ['allow.yaml'],
            qtypes: ['A', 'TXT'],
          },
          {
            name: 'standard-agents',
            tier: 3,
            pods: { namespaces: ['agents'], matchLabels: { role: 'ai-agent', tier: 'standard' } },
            allowlists: ['allow.yaml'],
            qtypes: ['A', 'TXT'],
            quarantine: { onSeverity: 'high', scope: 'agent', duration: '10m' },
          },
          {
            name: 'by-cidr',
            tier: 3,
            clients: ['127.0.0.22/32', '127.0.0.24/32'],
            allowlists: ['allow.yaml'],
          },
        ],
        store: { ndjson: ndjsonPath },
        metrics: { listen: '127.0.0.1:0' },
      },
      { 'allow.yaml': allow },
    );
    mport = Number(/"metrics":(\d+)/.exec(server.output())?.[1]);
    const ready = await fetch(`http://127.0.0.1:${mport}/readyz`);
    assert.equal(ready.status, 503);
    const body = (await ready.json()) as { checks: { kubernetes?: boolean } };
    assert.equal(body.checks.kubernetes, false);
    await api.start(port);
    await waitFor(
      async () => (await fetch(`http://127.0.0.1:${mport}/readyz`)).status === 200,
      15_000,
      'ready',
    );
  });

  after(async () => {
    await server.stop();
    await api.stop();
    await unbound.stop();
  });

  it('groups pods by labels: the most specific selector wins, a selector beats a CIDR', async () => {
    assert.equal((await dig(server.port, `a.t.${ZONE}`, { extra: ['-b', '127.0.0.21'] })).status, 'NOERROR');
    await dig(server.port, `b.t.${ZONE}`, { extra: ['-b', '127.0.0.24'] });
    await dig(server.port, `w.t.${ZONE}`, { extra: ['-b', '127.0.0.22'] });
    const a = await loggedRow(`a.t.${ZONE}`);
    assert.deepEqual(
      [a.agentId, a.group, a.namespace, a.pod, a.serviceAccount],
      ['agent-a', 'standard-agents', 'agents', 'agent-a', 'agent-sa'],
    );
    assert.match(a.podUid ?? '', /^uid-/);
    const b = await loggedRow(`b.t.${ZONE}`);
    assert.deepEqual([b.agentId, b.group], ['agent-b', 'agents']);
    const w = await loggedRow(`w.t.${ZONE}`);
    assert.deepEqual(
      [w.agentId, w.group, w.pod],
      ['web/web-1', 'by-cidr', 'web-1'],
      'no selector: CIDR group, pod identity',
    );
    const filtered = await cliJson<Row[]>(
      'queries',
      '--db',
      server.dbPath,
      '--namespace',
      'web',
      '--service-account',
      'default',
    );
    assert.ok(filtered.length > 0 && filtered.every((r) => r.pod === 'web-1'));
    const ndjson = readFileSync(ndjsonPath, 'utf8');
    assert.match(ndjson, /"pod":"agent-a","podUid":"uid-[^"]+","serviceAccount":"agent-sa"/);
  });

  it('sends a deleted pod address to the default group at once, counted as unknown-pod', async () => {
    const before = await metric('dnsward_identity_unknown_total', { reason: 'unknown-pod' });
    api.deletePod('agent-a', 'agents');
    await waitFor(async () => (await metric('dnsward_kubernetes_pods')) === 3, 10_000, 'the delete');
    assert.equal(
      (await dig(server.port, `gone.t.${ZONE}`, { extra: ['-b', '127.0.0.21'] })).status,
      'REFUSED',
    );
    const gone = await loggedRow(`gone.t.${ZONE}`);
    assert.deepEqual([gone.agentId, gone.group, gone.pod], ['127.0.0.21', 'nobody', null]);
    assert.ok((await metric('dnsward_identity_unknown_total', { reason: 'unknown-pod' })) > before);
  });

  it('puts the pod in a tunnel alert and keeps the agent quarantined when its pod comes back renamed', async () => {
    for (let i = 0; i < 150; i++) {
      const chunk = Buffer.from(`secret-record-${i}-${'k'.repeat(20)}`)
        .toString('hex')
        .slice(0, 50);
      await udpQuery(server.port, `${chunk}.t.${ZONE}`, { source: '127.0.0.23', type: 'TXT' });
    }
    interface AlertRow {
      agentId: string;
      namespace: string | null;
      pod: string | null;
      serviceAccount: string | null;
    }
    let alerts: AlertRow[] = [];
    await waitFor(
      async () =>
        (alerts = await cliJson<AlertRow[]>('alerts', 'list', '--db', server.dbPath, '--pod', 'tunnel-1'))
          .length > 0,
      15_000,
      'an alert for the tunnel pod',
    );
    assert.deepEqual(
      [alerts[0]?.agentId, alerts[0]?.namespace, alerts[0]?.serviceAccount],
      ['tunneler', 'agents', 'default'],
    );
    await waitFor(
      async () =>
        (
          await cliJson<{ agentId: string; scope: string }[]>('quarantine', 'list', '--db', server.dbPath)
        ).some((q) => q.agentId === 'tunneler' && q.scope === 'agent'),
      15_000,
      'an agent quarantine',
    );
    api.deletePod('tunnel-1', 'agents');
    api.addPod({
      namespace: 'agents',
      name: 'tunnel-2',
      ips: ['127.0.0.25'],
      labels: { role: 'ai-agent', tier: 'standard', [INSTANCE]: 'tunneler' },
    });
    await waitFor(async () => (await metric('dnsward_kubernetes_pods')) === 3, 10_000, 'the new pod');
    const control = await dig(server.port, `fresh.t.${ZONE}`, { extra: ['-b', '127.0.0.24'] });
    assert.equal(control.status, 'NOERROR');
    const held = await dig(server.port, `fresh.t.${ZONE}`, { extra: ['-b', '127.0.0.25'] });
    assert.equal(held.status, 'NXDOMAIN', 'the renamed pod is the same quarantined agent');
  });

  it('counts watch restarts: a dropped stream, then a relist after 410 Gone that drops a pod the watch never streamed', async () => {
    const restarts = (): Promise<number> => metric('dnsward_kubernetes_watch_restarts_total');
    const before = await restarts();
    api.dropWatches();
    await waitFor(async () => (await restarts()) > before, 10_000, 'a restart after the dropped watch');
    const afterDrop = await restarts();
    // a delete the watch never streams, then the history compacted past the client's resourceVersion: 410 Gone,
    // and only the relist can tell that web-1 is gone
    const lists = api.lists;
    api.deleteSilently('web-1', 'web');
    api.compact();
    api.dropWatches();
    await waitFor(
      async () => api.lists > lists && (await restarts()) > afterDrop,
      10_000,
      'a relist after 410 Gone',
    );
    await waitFor(
      async () => (await metric('dnsward_kubernetes_pods')) === 2,
      10_000,
      'web-1 gone after the relist',
    );
    assert.equal(
      (await dig(server.port, `again.t.${ZONE}`, { extra: ['-b', '127.0.0.24'] })).status,
      'NOERROR',
    );
  });
});
