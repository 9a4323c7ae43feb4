// Three network namespaces in a row, for tests that need real stub resolvers (root only):
//
//   agent netns "<prefix>a" ──veth── server netns "<prefix>s" ──veth── upstream netns "<prefix>u"
//   eth0 = agent address              eth0 = the server's addresses      eth0 = the upstream address
//   resolv.conf as the platform       resolv.conf names the upstream     (routes only back to the server)
//   writes it; routes to the server
//
// No namespace has a default route but into the next one and no other interface, so nothing in them reaches a real network.
// `ip netns exec` bind-mounts /etc/netns/<name>/resolv.conf over /etc/resolv.conf, which is how each side
// gets its own. Everything is deleted by `remove()`, and by an exit hook if the test dies first.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';

export interface NetnsPair {
  readonly agent: string;
  readonly server: string;
  /** argv that runs `command` inside the agent (or server) namespace. */
  readonly inAgent: (command: string, ...args: string[]) => string[];
  readonly inServer: (command: string, ...args: string[]) => string[];
  readonly upstream: string;
  readonly remove: () => void;
}

export interface NetnsPairOptions {
  /** Namespace and veth name prefix (keep it short: interface names are at most 15 bytes). */
  readonly prefix: string;
  /** "10.244.0.5/16": the agent's eth0. */
  readonly agentAddress: string;
  /** "10.96.0.53/32" …: the server's eth0; /32s are routed from the agent over the link. */
  readonly serverAddresses: readonly string[];
  /** "10.96.0.10": the upstream's address, reached only from the server. */
  readonly upstreamAddress: string;
  readonly agentResolvConf: string;
  readonly serverResolvConf: string;
}

const live = new Set<string>();
let hooked = false;

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
}

function deleteNamespace(ns: string): void {
  try {
    ip('netns', 'del', ns);
  } catch {
    // already gone
  }
  rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
  live.delete(ns);
}

function addNamespace(ns: string, resolvConf: string): void {
  if (!hooked) {
    hooked = true;
    process.on('exit', () => [...live].forEach(deleteNamespace));
  }
  deleteNamespace(ns); // left over from a test process that was killed
  ip('netns', 'add', ns);
  live.add(ns);
  mkdirSync(`/etc/netns/${ns}`, { recursive: true });
  writeFileSync(`/etc/netns/${ns}/resolv.conf`, resolvConf);
  ip('-n', ns, 'link', 'set', 'lo', 'up');
}

export function createNetnsPair(options: NetnsPairOptions): NetnsPair {
  const agent = `${options.prefix}a`;
  const server = `${options.prefix}s`;
  const upstream = `${options.prefix}u`;
  addNamespace(agent, options.agentResolvConf);
  addNamespace(server, options.serverResolvConf);
  addNamespace(upstream, `nameserver ${options.upstreamAddress}\n`);
  ip(
    'link',
    'add',
    `${options.prefix}v`,
    'netns',
    agent,
    'type',
    'veth',
    'peer',
    'name',
    'eth0',
    'netns',
    server,
  );
  ip('-n', agent, 'link', 'set', `${options.prefix}v`, 'name', 'eth0');
  ip('-n', agent, 'addr', 'add', options.agentAddress, 'dev', 'eth0');
  ip('-n', agent, 'link', 'set', 'eth0', 'up');
  for (const address of options.serverAddresses) {
    ip('-n', server, 'addr', 'add', address, 'dev', 'eth0');
    if (address.endsWith('/32')) ip('-n', agent, 'route', 'add', address, 'dev', 'eth0');
  }
  ip('-n', server, 'link', 'set', 'eth0', 'up');
  ip(
    'link',
    'add',
    `${options.prefix}w`,
    'netns',
    upstream,
    'type',
    'veth',
    'peer',
    'name',
    'up0',
    'netns',
    server,
  );
  ip('-n', upstream, 'link', 'set', `${options.prefix}w`, 'name', 'eth0');
  ip('-n', upstream, 'addr', 'add', `${options.upstreamAddress}/32`, 'dev', 'eth0');
  ip('-n', upstream, 'link', 'set', 'eth0', 'up');
  ip('-n', upstream, 'route', 'add', 'default', 'dev', 'eth0'); // the only way out leads to the server
  ip('-n', server, 'link', 'set', 'up0', 'up');
  ip('-n', server, 'route', 'add', `${options.upstreamAddress}/32`, 'dev', 'up0');
  // the server answers the agent's subnet over the link (the agent's address may be outside its prefixes)
  ip('-n', server, 'route', 'add', options.agentAddress.replace(/\/\d+$/, '/32'), 'dev', 'eth0');
  return {
    agent,
    server,
    inAgent: (command, ...args) => ['ip', 'netns', 'exec', agent, command, ...args],
    inServer: (command, ...args) => ['ip', 'netns', 'exec', server, command, ...args],
    upstream,
    remove() {
      deleteNamespace(agent);
      deleteNamespace(server);
      deleteNamespace(upstream);
    },
  };
}
