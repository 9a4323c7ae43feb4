// One shipped config at work for stub resolvers: network namespaces (netns.ts), unbound upstream, dnsward
// with the config unchanged but for its database path, and per-lookup query counts from dnsward's query log.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { parse, stringify } from 'yaml';
import { REPO_ROOT } from './dnsward.js';
import { createNetnsPair } from './netns.js';
import { startProcess, waitFor } from './processes.js';
import type { Scenario } from './shipped-scenarios.js';
import { podGroupsAsCidrs } from './pod-groups-as-cidrs.js';
import { runStubClient, type Lookup, type StubClient } from './stub-clients.js';
import { startUnbound } from './unbound.js';

export interface LoggedQuery {
  readonly id: number;
  readonly qname: string;
  /** The name as the client spelled it (0x20 case randomisation shows here). */
  readonly sent: string;
  readonly qtype: string;
  readonly transport: string;
  readonly rcode: string;
}

export interface ScenarioRun {
  /** One client looks up one name; the queries dnsward logged for it, in order. */
  readonly lookup: (client: StubClient, name: string) => Promise<{ lookup: Lookup; logged: LoggedQuery[] }>;
  readonly stop: () => Promise<void>;
}

/** The names a resolver may try for `name` (resolv.conf search and ndots rules). */
export function candidates(name: string, scenario: Scenario, client: StubClient): string[] {
  if (!client.searches || scenario.search.length === 0) return [name];
  const expanded = scenario.search.map((suffix) => `${name}.${suffix}`);
  const dots = name.split('.').length - 1;
  return dots >= scenario.ndots ? [name, ...expanded] : [...expanded, name];
}

interface ConfigFile {
  store: { path: string };
  identity?: { kubernetes?: { enabled?: boolean } };
  groups?: { denyRcode?: string; pods?: unknown; clients?: unknown[] }[];
}

/** `denyRcode` overrides every group's (a measurement, not a shipped config). */
export async function startScenario(
  scenario: Scenario,
  denyRcode?: 'NXDOMAIN' | 'REFUSED',
): Promise<ScenarioRun> {
  const dir = mkdtempSync(join(tmpdir(), 'dnsward-stubs-run-'));
  const pair = createNetnsPair({
    prefix: scenario.prefix,
    agentAddress: scenario.agentAddress,
    serverAddresses: scenario.serverAddresses,
    upstreamAddress: scenario.upstreamAddress,
    agentResolvConf: scenario.agentResolvConf,
    serverResolvConf: `nameserver ${scenario.upstreamAddress}\n`,
  });
  const stops: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    for (const one of stops.reverse()) await one();
    pair.remove();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const unbound = await startUnbound(
      scenario.zones[0] ?? '',
      scenario.records,
      scenario.zones.slice(1).map((zone) => `local-zone: "${zone}." static`),
      { netns: pair.upstream, addresses: [scenario.upstreamAddress] },
    );
    stops.push(unbound.stop);
    const args = ['serve', '--no-watch'];
    if (scenario.configDir) {
      // the shipped folder as is, but the database in the test's temp dir
      cpSync(join(REPO_ROOT, scenario.configDir), dir, { recursive: true });
      const config = parse(readFileSync(join(dir, 'dnsward.yaml'), 'utf8')) as ConfigFile;
      config.store.path = join(dir, 'dnsward.db');
      // the agent's address stands in for its pod (no API server in these namespaces)
      podGroupsAsCidrs(config, [`${scenario.agentAddress.split('/')[0] ?? ''}/32`]);
      if (denyRcode) for (const group of config.groups ?? []) group.denyRcode = denyRcode;
      writeFileSync(join(dir, 'dnsward.yaml'), stringify(config));
      args.push('--config', join(dir, 'dnsward.yaml'));
    }
    if (scenario.listenFlag) args.push('--listen', scenario.listenFlag);
    const [ip = 'ip', ...inServer] = pair.inServer(
      'env',
      '-C',
      dir,
      process.execPath,
      '--import',
      import.meta.resolve('tsx'),
      join(REPO_ROOT, 'src/main.ts'),
      ...args,
    );
    const dnsward = startProcess(ip, inServer);
    stops.push(dnsward.stop);
    await waitFor(
      () => {
        if (dnsward.child.exitCode !== null) throw new Error('dnsward exited');
        return /"udp":\[/.test(dnsward.output());
      },
      20_000,
      `dnsward (${scenario.id}) to listen`,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${dnsward.output()}`);
    });
  } catch (error) {
    await stop();
    throw error;
  }

  const dbPath = join(dir, 'dnsward.db');
  let markers = 0;
  let lastId = 0;
  /** Queries dnsward logged since the last call, up to a marker query sent now from the agent. */
  const loggedSinceLast = async (): Promise<LoggedQuery[]> => {
    const marker = `cl-marker-${String(++markers)}.invalid`;
    const [command = '', ...digArgs] = pair.inAgent(
      'dig',
      `@${scenario.dnswardAddress}`,
      marker,
      '+tries=1',
      '+time=3',
    );
    spawnSync(command, digArgs, { timeout: 10_000 });
    let rows: LoggedQuery[] = [];
    await waitFor(
      () => {
        const db = new Database(dbPath, { readonly: true, fileMustExist: true });
        try {
          rows = db
            .prepare(
              'SELECT id, lower(qname) AS qname, qname AS sent, qtype, transport, rcode FROM queries WHERE id > ? ORDER BY id',
            )
            .all(lastId) as LoggedQuery[];
        } finally {
          db.close();
        }
        return rows.some((row) => row.qname === marker);
      },
      10_000,
      `marker ${marker} in the query log`,
    );
    const end = rows.findIndex((row) => row.qname === marker);
    lastId = rows[end]?.id ?? lastId;
    return rows.slice(0, end);
  };
  await loggedSinceLast(); // count from here, after startup traffic
  return {
    async lookup(client, name) {
      const [lookup] = runStubClient(client, [name], pair.inAgent);
      if (!lookup) throw new Error(`${client.id} printed nothing for ${name}`);
      return { lookup, logged: await loggedSinceLast() };
    },
    stop,
  };
}
