// Real tunnels through the running resolver: iodine and dns2tcp clients, tunnel servers behind dnsward's
// conditional forwarding. Detection raises the right alert with the right exposure; enforce mode starves
// the tunnel; an exfiltration budget cuts a tunnel on an allowlisted wildcard.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { severityRank, type Severity } from '../../src/model/alert.js';
import { REPO_ROOT, startDnsward, type Dnsward } from '../helpers/dnsward.js';
import { waitFor } from '../helpers/processes.js';
import {
  runDns2tcpClient,
  runIodineClient,
  startDns2tcpServer,
  startIodineServer,
  tunnelPrerequisites,
  type TunnelServerHandle,
} from '../helpers/tunnels.js';

const run = promisify(execFile);
const IODINE_ZONE = 't.tunnel-lab.test';
const DNS2TCP_ZONE = 'd.relay-lab.test';

interface AlertRow {
  rule: string;
  severity: Severity;
  agentId: string;
  baseDomain: string;
  exposure: string;
  bytesLeaked: number;
  bytesAttempted: number;
}

async function alertsFor(server: Dnsward, agent: string): Promise<AlertRow[]> {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', 'src/main.ts', 'alerts', 'list', '--db', server.dbPath, '--agent', agent, '--json'],
    { cwd: REPO_ROOT },
  );
  return JSON.parse(stdout) as AlertRow[];
}

describe('real tunnels through dnsward', () => {
  let iodined: TunnelServerHandle;
  let dns2tcpd: TunnelServerHandle;
  let server: Dnsward;
  const resolver = (): { host: string; port: number } => ({ host: '127.0.0.1', port: server.port });

  before(async () => {
    const pre = tunnelPrerequisites();
    assert.ok(pre.ok, `tunnel tools: ${String(pre.reason)} (run .ci/install-tools.sh as root)`);
    iodined = await startIodineServer({ zone: IODINE_ZONE, host: '127.0.0.1', port: 0 });
    dns2tcpd = await startDns2tcpServer({ zone: DNS2TCP_ZONE, host: '127.0.0.1', port: 0 });
    const wildcard = `entries:\n  - { domain: "*.${DNS2TCP_ZONE}", justification: "relay under test", owner: qa, added: 2026-01-01 }\n`;
    server = await startDnsward(
      {
        upstreams: {
          default: [],
          forward: [
            { zone: IODINE_ZONE, servers: [`127.0.0.1:${iodined.address.port}`] },
            { zone: DNS2TCP_ZONE, servers: [`127.0.0.1:${dns2tcpd.address.port}`] },
          ],
        },
        identity: { defaultGroup: 'nobody' },
        groups: [
          { name: 'rollout', tier: 3, clients: ['127.0.0.77/32'], mode: 'audit' },
          { name: 'enforced', tier: 3, clients: ['127.0.0.78/32'] },
          {
            name: 'budgeted',
            tier: 3,
            clients: ['127.0.0.79/32'],
            allowlists: ['wildcard.yaml'],
            qtypes: ['A', 'TXT'],
            budget: { window: '10m', uniqueSubdomains: 40, bytes: 4000 },
            wildcardBudget: false,
          },
          {
            name: 'unbudgeted',
            tier: 3,
            clients: ['127.0.0.80/32'],
            allowlists: ['wildcard.yaml'],
            qtypes: ['A', 'TXT'],
            wildcardBudget: false,
          },
        ],
      },
      { 'wildcard.yaml': wildcard },
    );
  });

  after(async () => {
    await server.stop();
    await iodined.stop();
    await dns2tcpd.stop();
  });

  it('audit mode: an iodine tunnel works, and raises a high alert with exposure "forwarded" and bytes leaked', async () => {
    const result = await runIodineClient({
      resolver: resolver(),
      zone: IODINE_ZONE,
      clientAddress: '127.0.0.77',
      seconds: 40,
      upBytes: 4000,
      downBytes: 2000,
      pings: 1,
    });
    assert.ok(result.connected, result.clientLog);
    await waitFor(
      async () =>
        (await alertsFor(server, '127.0.0.77')).some((a) => severityRank(a.severity) >= severityRank('high')),
      10_000,
      'an alert',
    );
    const alerts = await alertsFor(server, '127.0.0.77');
    const top = alerts.filter(
      (a) => a.baseDomain === 'tunnel-lab.test' && severityRank(a.severity) >= severityRank('high'),
    );
    assert.ok(top.length > 0, JSON.stringify(alerts));
    assert.ok(top.every((a) => a.exposure === 'forwarded'));
    assert.ok(top.some((a) => a.bytesLeaked > 0));
  });

  it('enforce mode: the tunnel never connects, nothing reaches its server, and the attempt still alerts as "blocked"', async () => {
    const before = (await iodined.stats()).queries;
    const result = await runIodineClient({
      resolver: resolver(),
      zone: IODINE_ZONE,
      clientAddress: '127.0.0.78',
      seconds: 15,
      upBytes: 1000,
      downBytes: 0,
      pings: 0,
    });
    assert.equal(result.connected, false);
    assert.equal((await iodined.stats()).queries, before);
    await waitFor(async () => (await alertsFor(server, '127.0.0.78')).length > 0, 10_000, 'an alert');
    const alerts = await alertsFor(server, '127.0.0.78');
    assert.ok(
      alerts.some((a) => a.exposure === 'blocked' && severityRank(a.severity) >= severityRank('medium')),
      JSON.stringify(alerts),
    );
    assert.ok(alerts.every((a) => a.bytesLeaked === 0));
  });

  it('an exfiltration budget cuts a dns2tcp tunnel on an allowlisted wildcard; without it the tunnel carries everything', async () => {
    // what reached the far end through DNS (the client's own counter includes bytes it only buffered)
    const delivered = async (clientAddress: string): Promise<number> => {
      const before = dns2tcpd.payload().received;
      const result = await runDns2tcpClient({
        resolver: resolver(),
        zone: DNS2TCP_ZONE,
        clientAddress,
        seconds: 30,
        upBytes: 12_000,
        downBytes: 4000,
      });
      assert.ok(result.connected, result.clientLog);
      return dns2tcpd.payload().received - before;
    };
    const open = await delivered('127.0.0.80');
    const capped = await delivered('127.0.0.79');
    process.stdout.write(
      `# dns2tcp through *.${DNS2TCP_ZONE}: ${open} B delivered without a budget, ${capped} B with a 4000 B / 40-name budget\n`,
    );
    assert.ok(open >= 12_000, `the open tunnel delivered only ${open} B`);
    assert.ok(capped < 12_000, `budget did not cut the tunnel: ${capped} B delivered`);
  });
});
