// The shipped configs as stub-resolver scenarios: the addresses each platform gives the agent, dnsward and its
// upstream, resolv.conf as the platform writes it, what the upstream serves, and what must resolve or fail.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './dnsward.js';

export interface Scenario {
  readonly id: string;
  /** Namespace prefix: the branch's "cl-" and one letter. */
  readonly prefix: string;
  /** Folder holding dnsward.yaml and its allowlists; undefined = the embedded default (no --config). */
  readonly configDir?: string;
  readonly listenFlag?: string;
  readonly agentAddress: string;
  readonly serverAddresses: readonly string[];
  readonly upstreamAddress: string;
  readonly dnswardAddress: string;
  readonly agentResolvConf: string;
  /** Unbound local-data and the zones it is authoritative for. */
  readonly records: readonly string[];
  readonly zones: readonly string[];
  readonly allowed: Readonly<Record<string, readonly string[]>>;
  /** A short name that resolves only through the search list, and its addresses. */
  readonly viaSearch?: { readonly name: string; readonly addresses: readonly string[] };
  readonly denied: readonly string[];
  /** Allowed names whose answer exceeds 512 bytes (TC=1 to a client without EDNS). */
  readonly needsTcp?: readonly string[];
  readonly search: readonly string[];
  readonly ndots: number;
}

const K8S_SEARCH = ['agent-workloads.svc.cluster.local', 'svc.cluster.local', 'cluster.local'];
const PROXY = 'egress-proxy.egress-proxy.svc.cluster.local';
const PUBLIC = [
  'api.openai.com. 60 IN A 192.0.2.10',
  'api.openai.com. 60 IN AAAA 2001:db8::10',
  'example.org. 60 IN A 192.0.2.80',
  'example.org. 60 IN AAAA 2001:db8::80',
  'exfil.example.net. 60 IN A 192.0.2.66',
];

/** Addresses of an answer too large for 512-byte UDP. */
const LARGE = Array.from({ length: 40 }, (_, i) => `192.0.2.${String(100 + i)}`);

/** The local-data lines of deploy/compose/unbound.conf: the Compose upstream's own zone. */
function composeLocalData(): string[] {
  const text = readFileSync(join(REPO_ROOT, 'deploy/compose/unbound.conf'), 'utf8');
  return [...text.matchAll(/^\s*local-data: ["'](.*)["']\s*$/gm)].map((m) => m[1] ?? '');
}

export const SCENARIOS: readonly Scenario[] = [
  {
    // kubelet, dnsPolicy ClusterFirst with dnsward as the cluster DNS: the search list and ndots:5
    id: 'deploy/kubernetes/base/config',
    prefix: 'cl-k',
    configDir: 'deploy/kubernetes/base/config',
    agentAddress: '10.244.0.5/16',
    serverAddresses: ['10.96.0.53/32'],
    upstreamAddress: '10.96.0.10', // kube-dns, as the config names it
    dnswardAddress: '10.96.0.53',
    agentResolvConf: `search ${K8S_SEARCH.join(' ')}\nnameserver 10.96.0.53\noptions ndots:5\n`,
    records: [
      ...PUBLIC,
      `${PROXY}. 30 IN A 10.96.0.50`,
      'other.default.svc.cluster.local. 30 IN A 10.96.0.77',
    ],
    zones: ['cluster.local', 'openai.com', 'example.org', 'example.net'],
    allowed: {
      'api.openai.com': ['192.0.2.10', '2001:db8::10'],
      'example.org': ['192.0.2.80', '2001:db8::80'],
      [PROXY]: ['10.96.0.50'],
    },
    viaSearch: { name: 'egress-proxy.egress-proxy', addresses: ['10.96.0.50'] },
    denied: ['exfil.example.net', 'other.default.svc.cluster.local'],
    search: K8S_SEARCH,
    ndots: 5,
  },
  {
    // Docker's resolv.conf for the agent (its embedded DNS forwards to `dns:` unchanged, so it is left out)
    id: 'deploy/compose',
    prefix: 'cl-c',
    configDir: 'deploy/compose',
    agentAddress: '172.30.53.100/24',
    serverAddresses: ['172.30.53.53/24'],
    upstreamAddress: '172.30.54.10', // the unbound container, as the config names it
    dnswardAddress: '172.30.53.53',
    agentResolvConf: 'nameserver 172.30.53.53\noptions ndots:0\n',
    records: [...composeLocalData(), ...PUBLIC],
    zones: ['example.test', 'example.org', 'example.net'],
    allowed: {
      'api.example.test': ['192.0.2.10'],
      'docs.example.test': ['192.0.2.11'],
      'example.org': ['192.0.2.80', '2001:db8::80'],
    },
    denied: ['blocked.example.test', 'exfil.example.net'],
    search: [],
    ndots: 0,
  },
  {
    // the image's baked-in config: every client is "unknown" (tier 1, REFUSED); upstream from resolv.conf
    id: 'deploy/docker',
    prefix: 'cl-d',
    configDir: 'deploy/docker',
    agentAddress: '172.17.0.2/16',
    serverAddresses: ['172.17.0.3/16'],
    upstreamAddress: '192.0.2.53',
    dnswardAddress: '172.17.0.3',
    agentResolvConf: 'nameserver 172.17.0.3\n',
    records: PUBLIC,
    zones: ['openai.com', 'example.org', 'example.net'],
    allowed: {},
    denied: ['example.org', 'exfil.example.net'],
    search: [],
    ndots: 1,
  },
  {
    // `dnsward serve` with no config: only the listen address moves (a stub resolver cannot use port 5353)
    id: 'embedded default',
    prefix: 'cl-e',
    listenFlag: '10.55.0.53:53',
    agentAddress: '10.55.0.5/24',
    serverAddresses: ['10.55.0.53/24'],
    upstreamAddress: '192.0.2.53',
    dnswardAddress: '10.55.0.53',
    agentResolvConf: 'nameserver 10.55.0.53\n',
    records: [...PUBLIC, ...LARGE.map((address) => `api.github.com. 60 IN A ${address}`)],
    zones: ['openai.com', 'example.org', 'example.net', 'github.com'],
    allowed: {
      'api.openai.com': ['192.0.2.10', '2001:db8::10'],
      'example.org': ['192.0.2.80', '2001:db8::80'],
      // 40 A records: over 512 bytes, so a client without EDNS gets TC=1 and must retry over TCP
      'api.github.com': LARGE,
    },
    needsTcp: ['api.github.com'],
    denied: ['exfil.example.net'],
    search: [],
    ndots: 1,
  },
];
