// docker-compose.yml and deploy/compose/: `docker-compose config`, the files agree with each other, configs valid.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { parse } from 'yaml';

const REPO = resolve(import.meta.dirname, '..', '..');

/** A tool the test needs: missing -> the test fails naming what to install (no silent skips). */
function haveTool(t: TestContext, command: string, args: readonly string[], install: string): boolean {
  const probe = spawnSync(command, args, { encoding: 'utf8', timeout: 30_000 });
  if (!probe.error) return true;
  const reason = `${command} not found (${install})`;
  assert.fail(`${reason}: run .ci/install-tools.sh`);
  return false;
}

interface Mount {
  readonly type?: string;
  readonly source?: string;
  readonly target?: string;
  readonly read_only?: boolean;
}
interface Service {
  readonly profiles?: string[];
  readonly environment?: Record<string, string>;
  readonly build?: { context?: string; dockerfile?: string };
  readonly image?: string;
  readonly command?: string[];
  readonly dns?: string[];
  readonly sysctls?: Record<string, number | string>;
  readonly cap_drop?: string[];
  readonly read_only?: boolean;
  readonly ports?: string[];
  readonly volumes?: Mount[];
  readonly networks?: Record<string, { ipv4_address?: string } | null>;
}
interface Compose {
  readonly services: Record<string, Service>;
  readonly networks: Record<string, { internal?: boolean; ipam?: { config?: { subnet?: string }[] } }>;
  readonly volumes: Record<string, unknown>;
}
interface DnswardConfig {
  readonly listen: { udp: string[]; tcp: string[] };
  readonly upstreams: { default: string[] };
  readonly identity?: { defaultGroup?: string };
  readonly groups: { name: string; clients: (string | { cidr: string; agent: string })[] }[];
  readonly store: { path: string };
  readonly metrics: { listen: string };
}

const compose = parse(readFileSync(join(REPO, 'docker-compose.yml'), 'utf8')) as Compose;
const dnsward = compose.services.dnsward;
const unbound = compose.services.unbound;
const agent = compose.services.agent;

function ipv4ToInt(address: string): number {
  const octets = address.split('.').map(Number);
  assert.ok(octets.length === 4 && octets.every((o) => Number.isInteger(o) && o >= 0 && o <= 255), address);
  return octets.reduce((value, octet) => value * 256 + octet, 0);
}

function inCidr(address: string, cidr: string): boolean {
  const [network = '', bits = '32'] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipv4ToInt(address) / size) === Math.floor(ipv4ToInt(network) / size);
}

function portOf(hostPort: string): number {
  return Number(/:(\d+)$/.exec(hostPort)?.[1] ?? NaN);
}

function hostOf(hostPort: string): string {
  return hostPort.replace(/:\d+$/, '');
}

/** The repository file behind a path inside the dnsward container, via its bind mounts. */
function hostPathOf(service: Service, containerPath: string): string {
  for (const mount of service.volumes ?? []) {
    if (mount.type !== 'bind' || !mount.target || !mount.source) continue;
    if (containerPath === mount.target) return resolve(REPO, mount.source);
    if (containerPath.startsWith(`${mount.target}/`)) {
      return resolve(REPO, mount.source, containerPath.slice(mount.target.length + 1));
    }
  }
  throw new Error(`${containerPath} is not bind-mounted into the service`);
}

function configArg(service: Service): string {
  const command = service.command ?? [];
  const at = command.indexOf('--config');
  assert.ok(at >= 0, 'dnsward command names --config');
  return command[at + 1] ?? '';
}

function addressOn(service: Service | undefined, network: string): string {
  const address = service?.networks?.[network]?.ipv4_address;
  assert.ok(address, `no fixed ipv4_address on network ${network}`);
  return address;
}

describe('docker-compose.yml', () => {
  it('passes `docker-compose config -q` (docker-compose 1.29)', (t) => {
    if (!haveTool(t, 'docker-compose', ['version'], 'apt-get install --no-install-recommends docker-compose'))
      return;
    const result = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(result.status, 0, `docker-compose config failed:\n${result.stdout}${result.stderr}`);
  });

  it('the postgres profile: PostgreSQL beside unbound, only with --profile postgres; dnsward on it by DNSWARD_DB', (t) => {
    const postgres = compose.services.postgres;
    assert.ok(dnsward && postgres);
    assert.deepEqual(postgres.profiles, ['postgres']);
    for (const [name, service] of Object.entries(compose.services))
      if (name !== 'postgres') assert.equal(service.profiles, undefined, `${name} runs in every profile`);
    const upstreamSubnet = compose.networks.upstream?.ipam?.config?.[0]?.subnet ?? '';
    const address = addressOn(postgres, 'upstream');
    assert.ok(inCidr(address, upstreamSubnet), `${address} in ${upstreamSubnet}`);
    assert.ok(inCidr(addressOn(dnsward, 'upstream'), upstreamSubnet), 'dnsward reaches it');
    // without DNSWARD_DB, --db is the config's own SQLite file: the default stack is unchanged
    const command = dnsward.command ?? [];
    const db = /^\$\{DNSWARD_DB:-(.+)\}$/.exec(command[command.indexOf('--db') + 1] ?? '');
    const config = parse(readFileSync(hostPathOf(dnsward, configArg(dnsward)), 'utf8')) as DnswardConfig;
    assert.equal(db?.[1], config.store.path);
    if (!haveTool(t, 'docker-compose', ['version'], 'apt-get install --no-install-recommends docker-compose'))
      return;
    const env = postgres.environment ?? {};
    const url = `postgres://${env.POSTGRES_USER}:${env.POSTGRES_PASSWORD}@${address}:5432/${env.POSTGRES_DB}`;
    const rendered = spawnSync(
      'docker-compose',
      ['-f', 'docker-compose.yml', '--profile', 'postgres', 'config'],
      {
        cwd: REPO,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, DNSWARD_DB: url },
      },
    );
    assert.equal(rendered.status, 0, rendered.stderr);
    const services = (parse(rendered.stdout) as Compose).services;
    assert.ok(services.postgres, 'the profile starts PostgreSQL');
    const args = services.dnsward?.command ?? [];
    assert.equal(args[args.indexOf('--db') + 1], url);
  });

  it('has the three services; dnsward is built from deploy/Dockerfile', () => {
    assert.ok(dnsward && unbound && agent, 'services dnsward, unbound and agent');
    assert.equal(dnsward.build?.dockerfile, 'deploy/Dockerfile');
    assert.ok(existsSync(resolve(REPO, dnsward.build.context ?? '.', dnsward.build.dockerfile)));
    assert.match(unbound.image ?? '', /unbound:\d+\.\d+\.\d+$/, 'unbound image with a pinned version');
  });

  it('every bind-mount source exists; config is mounted read-only as a directory', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const mount of service.volumes ?? []) {
        if (mount.type === 'bind')
          assert.ok(existsSync(resolve(REPO, mount.source ?? '')), `${name}: ${mount.source}`);
        if (mount.type === 'volume')
          assert.ok(mount.source && mount.source in compose.volumes, `${name}: ${mount.source}`);
      }
    }
    const configDir = dnsward?.volumes?.find((m) => m.target === '/etc/dnsward');
    assert.ok(configDir?.read_only, '/etc/dnsward is read-only');
    assert.equal(configDir.type, 'bind');
  });

  it('the dnsward config it mounts passes `dnsward config check`', () => {
    assert.ok(dnsward);
    const config = hostPathOf(dnsward, configArg(dnsward));
    assert.equal(relative(REPO, config), join('deploy', 'compose', 'dnsward.yaml'));
    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts', 'config', 'check', '--config', config],
      { cwd: REPO, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_OPTIONS: '' } },
    );
    assert.equal(result.status, 0, `config check failed:\n${result.stdout}${result.stderr}`);
  });

  it('addresses agree: agent dns -> dnsward -> unbound, agent subnet -> agent group, DB on the volume', () => {
    assert.ok(dnsward && unbound && agent);
    const config = parse(readFileSync(hostPathOf(dnsward, configArg(dnsward)), 'utf8')) as DnswardConfig;
    const [agentNet, agentNetConfig] = Object.entries(agent.networks ?? {})[0] ?? [];
    assert.ok(agentNet && agentNetConfig);
    const network = compose.networks[agentNet];
    const subnet = network?.ipam?.config?.[0]?.subnet ?? '';
    assert.equal(network?.internal, true, 'the agents network has no route out');

    const dnswardOnAgents = addressOn(dnsward, agentNet);
    assert.deepEqual(agent.dns, [dnswardOnAgents], "the agent's resolver is dnsward");
    assert.ok(inCidr(dnswardOnAgents, subnet), `${dnswardOnAgents} in ${subnet}`);
    const agentAddress = addressOn(agent, agentNet);
    assert.ok(inCidr(agentAddress, subnet));
    for (const listen of [...config.listen.udp, ...config.listen.tcp]) {
      assert.equal(portOf(listen), 53, 'Docker sends the agent queries to port 53');
      assert.equal(hostOf(listen), '0.0.0.0');
    }

    const group = config.groups.find((g) =>
      g.clients.some((client) => inCidr(agentAddress, typeof client === 'string' ? client : client.cidr)),
    );
    assert.ok(group, `a group claims the agent ${agentAddress}`);
    assert.notEqual(group.name, config.identity?.defaultGroup);

    const upstreams = config.upstreams.default;
    assert.equal(upstreams.length, 1);
    const upstreamHost = hostOf(upstreams[0] ?? '');
    const shared = Object.keys(unbound.networks ?? {}).filter((net) => net in (dnsward.networks ?? {}));
    assert.ok(shared.length > 0, 'dnsward and unbound share a network');
    assert.ok(
      shared.some((net) => addressOn(unbound, net) === upstreamHost),
      'upstreams.default is unbound',
    );
    assert.ok(!(agentNet in (unbound.networks ?? {})), 'agents cannot reach unbound directly');

    const unboundConf = readFileSync(join(REPO, 'deploy/compose/unbound.conf'), 'utf8');
    for (const net of shared) {
      const dnswardAddress = addressOn(dnsward, net);
      assert.match(
        unboundConf,
        new RegExp(`access-control: ${dnswardAddress.replace(/\./g, '\\.')}/32 allow`),
      );
    }

    const dataVolume = dnsward.volumes?.find((m) => m.type === 'volume');
    assert.ok(dataVolume?.target);
    assert.ok(config.store.path.startsWith(`${dataVolume.target}/`), 'store.path is on the named volume');
  });

  it('dnsward runs unprivileged: port 53 through the sysctl, no capabilities, read-only root', () => {
    assert.ok(dnsward);
    const start = Number(dnsward.sysctls?.['net.ipv4.ip_unprivileged_port_start']);
    assert.ok(start <= 53, 'ip_unprivileged_port_start <= 53 lets uid 10001 bind 53');
    assert.deepEqual(dnsward.cap_drop, ['ALL']);
    assert.equal(dnsward.read_only, true);
  });

  it('publishes metrics on the host loopback only, at the configured port', () => {
    assert.ok(dnsward);
    const config = parse(readFileSync(hostPathOf(dnsward, configArg(dnsward)), 'utf8')) as DnswardConfig;
    const metricsPort = portOf(config.metrics.listen);
    assert.deepEqual(dnsward.ports, [`127.0.0.1:${metricsPort}:${metricsPort}`]);
    for (const [name, service] of Object.entries(compose.services)) {
      if (name !== 'dnsward') assert.equal(service.ports, undefined, `${name} publishes no port`);
    }
  });
});

describe('deploy/compose/unbound.conf', () => {
  it('passes unbound-checkconf (paths moved to a temp dir)', (t) => {
    if (!haveTool(t, 'unbound-checkconf', ['-h'], 'apt-get install unbound')) return;
    const dir = mkdtempSync(join(tmpdir(), 'dnsward-unbound-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    // The image's paths and user do not exist here; the trust anchor is fetched by the image at start.
    const text = readFileSync(join(REPO, 'deploy/compose/unbound.conf'), 'utf8')
      .replaceAll('/opt/unbound/etc/unbound', dir)
      .replace(/^\s*username:.*$/m, '')
      .replace(/^\s*auto-trust-anchor-file:.*$/m, '');
    writeFileSync(join(dir, 'unbound.conf'), text);
    const result = spawnSync('unbound-checkconf', [join(dir, 'unbound.conf')], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(result.status, 0, `unbound-checkconf:\n${result.stdout}${result.stderr}`);
  });
});
