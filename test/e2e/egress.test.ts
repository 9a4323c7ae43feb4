// Egress end to end, in network namespaces the test creates (never the host's own): an agent, a gateway that loads
// deploy/nftables/dnsward.nft and runs dnsward (egress.nftables + egress.conntrack) with an unbound upstream, and a
// server with two HTTP servers. No namespace has a route anywhere else.
//
//   agent 198.18.1.2 ── gateway 198.18.1.1 (dnsward :53, unbound 127.0.0.1:5300, nft, conntrack) ── server
//                                                                       203.0.113.10:8080 (a.example.test)
//                                                                       203.0.113.20:8080 (b / denied.example.test)
//   (the server side is in a documentation range: the rebinding guard strips the benchmarking range 198.18/15
//   from answers, as it should for public names)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { REPO_ROOT, serveArgs } from '../helpers/dnsward.js';
import { startProcess, waitFor, type Running } from '../helpers/processes.js';

const id = `${process.pid % 100000}`;
const AGENT = `eg-a${id}`;
const GATEWAY = `eg-g${id}`;
const SERVER = `eg-s${id}`;
const A_IP = '203.0.113.10';
const B_IP = '203.0.113.20';

function run(command: string, args: readonly string[]): { status: number | null; output: string } {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 30_000 });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT')
    assert.fail(`${command} not found: run .ci/install-tools.sh`);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function ok(command: string, args: readonly string[]): string {
  const result = run(command, args);
  assert.equal(result.status, 0, `${command} ${args.join(' ')}: ${result.output}`);
  return result.output;
}

const inNs = (ns: string, ...args: string[]): { status: number | null; output: string } =>
  run('ip', ['netns', 'exec', ns, ...args]);

/**
 * curl from the agent; the HTTP status, or "" when no connection was made. 4 s: a SYN sent before the set update
 * of its answer landed (store.flushIntervalMs + batchMs + nft) is dropped and retransmitted after 1 s.
 */
function curl(target: string): string {
  return inNs(AGENT, 'curl', '-sS', '-m', '4', '-o', '/dev/null', '-w', '%{http_code}', target)
    .output.replace(/^000.*$/s, '')
    .slice(0, 3);
}

function agentSet(): string {
  return ok('ip', ['netns', 'exec', GATEWAY, 'nft', 'list', 'set', 'inet', 'dnsward', 'egress_agent_v4']);
}

interface Row {
  readonly agentId: string;
  readonly proto: string;
  readonly dst: string;
  readonly dstPort: number;
  readonly decision: string;
  readonly bytesOut: number;
  readonly bytesIn: number;
  readonly durationMs: number;
  readonly qname: string | null;
}

describe('egress: answer sets, connection log and direct-ip-egress in network namespaces', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dnsward-egress-'));
  const dbPath = join(dir, 'dnsward.db');
  const children: Running[] = [];
  let dnsward: Running | undefined;

  const cli = (...args: string[]): string =>
    ok(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/main.ts'), ...args]);
  const connections = (...args: string[]): Row[] =>
    JSON.parse(cli('connections', '--db', dbPath, '--json', ...args)) as Row[];

  before(async () => {
    for (const ns of [AGENT, GATEWAY, SERVER]) {
      ok('ip', ['netns', 'add', ns]);
      ok('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    for (const [ns, side, address, gateway] of [
      [AGENT, `eg-ga${id}`, '198.18.1.2/24', '198.18.1.1/24'],
      [SERVER, `eg-gs${id}`, `${A_IP}/24`, '203.0.113.1/24'],
    ] as const) {
      ok('ip', ['link', 'add', side, 'netns', GATEWAY, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      ok('ip', ['-n', GATEWAY, 'addr', 'add', gateway, 'dev', side]);
      ok('ip', ['-n', GATEWAY, 'link', 'set', side, 'up']);
      ok('ip', ['-n', ns, 'addr', 'add', address, 'dev', 'eth0']);
      ok('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
      ok('ip', ['-n', ns, 'route', 'add', 'default', 'via', gateway.split('/')[0] ?? '']);
    }
    ok('ip', ['-n', SERVER, 'addr', 'add', `${B_IP}/24`, 'dev', 'eth0']);
    // routing, byte counters, start/stop times; TIME_WAIT shortened so a closed connection is logged soon
    ok('ip', [
      'netns',
      'exec',
      GATEWAY,
      'sysctl',
      '-q',
      '-w',
      'net.ipv4.ip_forward=1',
      'net.netfilter.nf_conntrack_acct=1',
      'net.netfilter.nf_conntrack_timestamp=1',
      'net.netfilter.nf_conntrack_tcp_timeout_time_wait=1',
    ]);
    let rules = readFileSync(join(REPO_ROOT, 'deploy/nftables/dnsward.nft'), 'utf8');
    for (const [name, value] of [
      ['DNSWARD_V4', '198.18.1.1'],
      ['AGENT_IFACES', `{ "eg-ga${id}" }`],
      ['AGENT_V4', '{ 198.18.1.0/24 }'],
    ] as const) {
      rules = rules.replace(new RegExp(`^define ${name} = .*$`, 'm'), `define ${name} = ${value}`);
    }
    writeFileSync(join(dir, 'rules.nft'), rules);
    ok('ip', ['netns', 'exec', GATEWAY, 'nft', '-f', join(dir, 'rules.nft')]);

    // the agent resolves through dnsward (ip netns exec bind-mounts /etc/netns/<ns>/resolv.conf)
    mkdirSync(`/etc/netns/${AGENT}`, { recursive: true });
    writeFileSync(`/etc/netns/${AGENT}/resolv.conf`, 'nameserver 198.18.1.1\noptions attempts:1 timeout:2\n');

    for (const address of [A_IP, B_IP]) {
      const web = join(dir, address);
      mkdirSync(web);
      writeFileSync(join(web, 'index.html'), `${'served by '.repeat(200)}${address}\n`);
      children.push(
        startProcess('ip', [
          'netns',
          'exec',
          SERVER,
          'python3',
          '-m',
          'http.server',
          '--bind',
          address,
          '-d',
          web,
          '8080',
        ]),
      );
    }
    writeFileSync(
      join(dir, 'unbound.conf'),
      [
        'server:',
        '  interface: 127.0.0.1@5300',
        '  do-daemonize: no',
        '  username: ""',
        '  chroot: ""',
        `  directory: "${dir}"`,
        '  pidfile: ""',
        '  use-syslog: no',
        '  do-ip6: no',
        '  access-control: 127.0.0.0/8 allow',
        '  local-zone: "." refuse',
        '  local-zone: "example.test." static',
        `  local-data: 'a.example.test. 2 IN A ${A_IP}'`,
        `  local-data: 'b.example.test. 2 IN A ${B_IP}'`,
        `  local-data: 'denied.example.test. 2 IN A ${B_IP}'`,
        'remote-control:',
        '  control-enable: no',
        '',
      ].join('\n'),
    );
    await waitFor(
      () =>
        [A_IP, B_IP].every(
          (address) =>
            inNs(
              SERVER,
              'curl',
              '-s',
              '-m',
              '1',
              '-o',
              '/dev/null',
              '-w',
              '%{http_code}',
              `http://${address}:8080/`,
            ).output === '200',
        ),
      15_000,
      'the HTTP servers',
    );
    children.push(
      startProcess('ip', ['netns', 'exec', GATEWAY, 'unbound', '-d', '-c', join(dir, 'unbound.conf')]),
    );
    writeFileSync(
      join(dir, 'allow.yaml'),
      stringify({
        group: 'agents',
        entries: [
          {
            domain: 'a.example.test',
            justification: 'the test server',
            owner: 'egress-qa',
            added: '2026-01-01',
          },
        ],
      }),
    );
    writeFileSync(
      join(dir, 'dnsward.yaml'),
      stringify({
        listen: { udp: ['198.18.1.1:53'], tcp: ['198.18.1.1:53'] },
        upstreams: { default: ['127.0.0.1:5300'] },
        groups: [
          {
            name: 'agents',
            tier: 3,
            clients: [{ cidr: '198.18.1.0/24', agent: 'agent-1' }],
            allowlists: ['allow.yaml'],
          },
        ],
        egress: {
          nftables: { enabled: true, minTtl: 2, maxTtl: 2, batchMs: 10 },
          conntrack: { enabled: true, dropPollMs: 200 },
        },
        store: { path: dbPath, flushIntervalMs: 20, ndjson: join(dir, 'events.ndjson') },
        metrics: { listen: '127.0.0.1:9153' },
      }),
    );
    dnsward = startProcess(
      'ip',
      ['netns', 'exec', GATEWAY, process.execPath, ...serveArgs(join(dir, 'dnsward.yaml'))],
      { ...process.env, NODE_OPTIONS: '' },
    );
    const proc = dnsward;
    await waitFor(
      () => {
        if (proc.child.exitCode !== null) throw new Error(`dnsward exited:\n${proc.output()}`);
        return proc.output().includes('dnsward listening');
      },
      20_000,
      'dnsward to listen',
    );
    await waitFor(
      () =>
        inNs(AGENT, 'dig', '@198.18.1.1', 'a.example.test', '+short', '+tries=1', '+time=1').output.trim() ===
        A_IP,
      15_000,
      'dnsward to answer through unbound',
    );
  });

  after(async () => {
    await dnsward?.stop();
    await Promise.all(children.map((child) => child.stop()));
    for (const ns of [AGENT, GATEWAY, SERVER]) run('ip', ['netns', 'del', ns]);
    rmSync(`/etc/netns/${AGENT}`, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens an allowlisted name for its agent and logs the connection with bytes and qname', async () => {
    assert.equal(curl('http://a.example.test:8080/'), '200', 'the allowlisted name connects');
    assert.match(agentSet(), new RegExp(`198\\.18\\.1\\.2 \\. ${A_IP.replaceAll('.', '\\.')}`));
    // conntrack reports the connection when the kernel forgets it (after TIME_WAIT, at dnsward's next sweep)
    let row: Row | undefined;
    await waitFor(
      () => {
        row = connections('--dst', A_IP, '--agent', 'agent-1').find((r) => r.decision === 'allowed');
        return row !== undefined;
      },
      90_000,
      'the allowed connection in the log',
    );
    assert.ok(row);
    assert.equal(row.qname, 'a.example.test');
    assert.equal(row.proto, 'tcp');
    assert.equal(row.dstPort, 8080);
    assert.ok(row.bytesOut > 0, 'bytes out counted');
    assert.ok(row.bytesIn > 2000, `bytes in counted (the page is over 2 kB): ${row.bytesIn}`);
    const ndjson = readFileSync(join(dir, 'events.ndjson'), 'utf8');
    assert.match(ndjson, /"event":"connection".*"decision":"allowed".*"qname":"a\.example\.test"/);
  });

  it('drops a connection to the other server by IP literal, logs it and raises direct-ip-egress', async () => {
    assert.equal(curl(`http://${B_IP}:8080/`), '', 'no connection to an address no answer gave');
    let row: Row | undefined;
    await waitFor(
      () => {
        row = connections('--dst', B_IP).find((r) => r.decision === 'dropped');
        return row !== undefined;
      },
      15_000,
      'the dropped connection in the log',
    );
    assert.ok(row);
    assert.equal(row.agentId, 'agent-1');
    assert.equal(row.qname, null);
    assert.equal(row.dstPort, 8080);
    assert.ok(row.bytesOut > 0, 'the SYN bytes that were attempted');
    let alerts: { rule: string; severity: string; agentId: string; baseDomain: string; exposure: string }[] =
      [];
    await waitFor(
      () => {
        alerts = JSON.parse(cli('alerts', 'list', '--db', dbPath, '--json')) as typeof alerts;
        return alerts.some((a) => a.rule === 'direct-ip-egress' && a.baseDomain === B_IP);
      },
      10_000,
      'the direct-ip-egress alert',
    );
    const alert = alerts.find((a) => a.rule === 'direct-ip-egress' && a.baseDomain === B_IP);
    assert.equal(alert?.severity, 'high');
    assert.equal(alert.agentId, 'agent-1');
    assert.equal(alert.exposure, 'blocked');
    const metrics = inNs(GATEWAY, 'curl', '-sS', '-m', '2', 'http://127.0.0.1:9153/metrics').output;
    assert.match(metrics, /dnsward_egress_connections_total\{decision="dropped",proto="tcp"\} [1-9]/);
    assert.match(metrics, /dnsward_egress_set_elements_total [1-9]/);
    assert.match(metrics, /dnsward_egress_set_failures_total 0/);
  });

  it("never adds a denied name's address to the set", () => {
    const answer = inNs(AGENT, 'dig', '@198.18.1.1', 'denied.example.test', '+tries=1', '+time=2');
    assert.match(answer.output, /status: NXDOMAIN/);
    assert.match(
      inNs(AGENT, 'dig', '@198.18.1.1', 'b.example.test', '+tries=1', '+time=2').output,
      /NXDOMAIN/,
    );
    assert.doesNotMatch(
      agentSet(),
      new RegExp(B_IP.replaceAll('.', '\\.')),
      'the denied address is not in the set',
    );
    assert.equal(curl('http://denied.example.test:8080/'), '', 'and cannot be reached by name');
  });

  it('lets an address expire after its TTL: a new connection needs a new lookup', async () => {
    assert.equal(curl('http://a.example.test:8080/'), '200');
    const pair = new RegExp(`198\\.18\\.1\\.2 \\. ${A_IP.replaceAll('.', '\\.')}`);
    await waitFor(() => !pair.test(agentSet()), 10_000, 'the element to time out (TTL 2 s)');
    assert.equal(curl(`http://${A_IP}:8080/`), '', 'without a lookup the expired address is closed');
    assert.equal(curl('http://a.example.test:8080/'), '200', 'a new lookup opens it again');
  });
});
