// Answer latency with the egress answer sets off and on, back to back in one run, for cached names.
// Runs inside a throwaway network namespace (re-executes itself under `unshare --net`; needs root): the ruleset
// is loaded there, dnsward and an unbound upstream listen on its loopback, nothing touches the host's tables.
//
//   node --import tsx bench/egress-sets.ts [--queries N] [--rounds N] [--agents N]
//
// Two workloads per round, each against a fresh dnsward with egress.nftables off, then on:
//   cached       500 cached names, one agent (127.0.0.1): the sets are written once per name, then only refreshed
//   cached-pairs the same names from N agents (127.0.0.2..): every (agent, address) pair is a new set element
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { startDnsward, type Dnsward, REPO_ROOT } from '../test/helpers/dnsward.js';
import { startUnbound } from '../test/helpers/unbound.js';
import { encodeQuery } from '../test/helpers/udp-load.js';
import { egressSection } from '../src/config/sections/egress.js';
import { AnswerSets } from '../src/egress/answer-sets.js';
import { OpenedBy } from '../src/egress/opened-by.js';
import type { QueryEvent } from '../src/model/query-event.js';
import { waitForDns } from './lib/probe.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const QUERIES = option('queries', 100_000);
const ROUNDS = option('rounds', 2);
const AGENTS = option('agents', 20);
const NAMES = 500;
/** Queries in flight in all, whatever the number of sources: latency is service time, not queueing. */
const WINDOW = 32;

if (process.env.DNSWARD_BENCH_NETNS !== '1') {
  const result = spawnSync(
    'unshare',
    ['--net', process.execPath, '--import', 'tsx', ...process.argv.slice(1)],
    { stdio: 'inherit', env: { ...process.env, DNSWARD_BENCH_NETNS: '1' }, timeout: 900_000 },
  );
  process.exit(result.status ?? 1);
}

interface Figures {
  readonly qps: number;
  readonly meanUs: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly lost: number;
}

/** `count` queries for `names`, spread over the sources, WINDOW in flight per source; client-side latency. */
async function load(port: number, sources: readonly string[], count: number): Promise<Figures> {
  const latencies: number[] = [];
  let lost = 0;
  const started = performance.now();
  const perSource = Math.ceil(count / sources.length);
  const window = Math.max(1, Math.floor(WINDOW / sources.length));
  await Promise.all(
    sources.map(
      (source, s) =>
        new Promise<void>((resolve, reject) => {
          const socket = createSocket('udp4');
          const sentAt = new Map<number, number>();
          let next = 0;
          let done = 0;
          const send = (): void => {
            const seq = next++;
            const id = seq & 0xffff;
            sentAt.set(id, performance.now());
            const name = `h${String((seq * 7 + s * 13) % NAMES).padStart(5, '0')}.bench.example`;
            socket.send(encodeQuery(id, name), port, '127.0.0.1');
          };
          const finish = (): void => {
            if (++done < perSource) {
              if (next < perSource) send();
              return;
            }
            clearTimeout(deadline);
            socket.close();
            resolve();
          };
          const deadline = setTimeout(() => {
            lost += perSource - done;
            socket.close();
            resolve();
          }, 120_000);
          socket.on('message', (msg) => {
            const at = sentAt.get(msg.readUInt16BE(0));
            if (at === undefined) return;
            sentAt.delete(msg.readUInt16BE(0));
            latencies.push((performance.now() - at) * 1000);
            finish();
          });
          socket.once('error', reject);
          socket.bind(0, source, () => {
            for (let i = 0; i < window && i < perSource; i++) send();
          });
        }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number): number =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0);
  return {
    qps: Math.round(latencies.length / seconds),
    meanUs: Math.round(latencies.reduce((sum, v) => sum + v, 0) / Math.max(1, latencies.length)),
    p50Us: at(0.5),
    p99Us: at(0.99),
    lost,
  };
}

/** The stage's own cost per allowed event (in process, no nft): what it adds to the answer thread. */
function consumeCost(): number {
  const config = egressSection.parse({ nftables: { enabled: true } }).nftables;
  const sets = new AnswerSets(
    config,
    { add: () => undefined, close: () => Promise.resolve() },
    new OpenedBy(),
  );
  const now = Date.now();
  const events: QueryEvent[] = Array.from({ length: NAMES }, (_, i) => ({
    ts: now,
    transport: 'udp',
    clientIp: '127.0.0.1',
    clientPort: 5000,
    agentId: 'a',
    group: 'bench',
    tier: 4,
    qname: `h${i}.bench.example`,
    qtype: 'A',
    decision: 'allow',
    reason: '',
    ruleId: 'bench',
    rcode: 'NOERROR',
    upstream: null,
    cached: true,
    answeredBy: 'cache',
    latencyUs: 50,
    reqBytes: 40,
    respBytes: 60,
    answers: 1,
    answerAddresses: [`198.18.0.${(i % 250) + 1}`],
    answerTtl: 3600,
  }));
  const rounds = 2000;
  const started = performance.now();
  for (let r = 0; r < rounds; r++) sets.consume(events);
  return Math.round(((performance.now() - started) * 1e6) / (rounds * NAMES));
}

function sh(command: string, commandArgs: readonly string[]): string {
  const result = spawnSync(command, commandArgs, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${commandArgs.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

async function main(): Promise<void> {
  sh('ip', ['link', 'set', 'lo', 'up']);
  sh('nft', ['-f', join(REPO_ROOT, 'deploy/nftables/dnsward.nft')]);
  const names = Array.from(
    { length: NAMES },
    (_, i) =>
      `h${String(i).padStart(5, '0')}.bench.example. 3600 IN A 198.18.${Math.floor(i / 250)}.${(i % 250) + 1}`,
  );
  const upstream = await startUnbound('bench.example', names);
  const agents = Array.from({ length: AGENTS }, (_, i) => `127.0.0.${i + 2}`);
  const rows: string[] = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      for (const sets of [false, true]) {
        const dnsward: Dnsward = await startDnsward(
          {
            upstreams: { default: [`127.0.0.1:${upstream.port}`] },
            groups: [{ name: 'bench', tier: 4, clients: ['127.0.0.0/8'], allowlists: ['allow.yaml'] }],
            egress: { nftables: { enabled: sets } },
          },
          {
            'allow.yaml':
              'group: bench\nentries:\n  - domain: "*.bench.example"\n    justification: bench\n    owner: bench\n    added: 2026-01-01\n',
          },
        );
        try {
          await waitForDns(dnsward.port, 'h00000.bench.example', 20_000);
          await load(dnsward.port, ['127.0.0.1'], NAMES * 2); // warm the cache (and the sets)
          for (const [workload, sources] of [
            ['cached', ['127.0.0.1']],
            ['cached-pairs', agents],
          ] as const) {
            const f = await load(dnsward.port, sources, QUERIES);
            const elements = sets
              ? sh('nft', ['-j', 'list', 'set', 'inet', 'dnsward', 'egress_agent_v4']).split('"elem"')
                  .length - 1
              : 0;
            rows.push(
              `| ${round} | ${workload} | ${sets ? 'on' : 'off'} | ${f.qps} | ${f.meanUs} | ${f.p50Us} | ${f.p99Us} | ${f.lost} | ${sets ? (elements > 0 ? 'yes' : 'no') : '-'} |`,
            );
            console.error(rows.at(-1));
          }
        } finally {
          await dnsward.stop();
          if (sets) sh('nft', ['flush', 'set', 'inet', 'dnsward', 'egress_agent_v4']);
        }
      }
    }
  } finally {
    await upstream.stop();
  }
  console.log(
    `queries per workload: ${QUERIES}, ${WINDOW} in flight in all, ${NAMES} names, ${AGENTS} agents for cached-pairs`,
  );
  console.log('| round | workload | sets | q/s | mean µs | p50 µs | p99 µs | lost | set filled |');
  console.log('| ----- | -------- | ---- | --- | ------- | ------ | ------ | ---- | ---------- |');
  for (const row of rows) console.log(row);
  console.log(
    `answer-set stage, in process: ${consumeCost()} ns per allowed event (one address, cached pair)`,
  );
}

await main();
