// Log completeness under load (AG-404 8.7): queries sent at full speed from several agents (127.0.0.2-5)
// leave exactly one query-log row per answered query, attributed to the right agent; with a backlog too small
// for the burst, every event that is not logged is counted in query_log_drops: answered = rows + drops.
// LOAD_COMPLETENESS_QUERIES sets the total (default 200000).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { startDnsward, type Dnsward } from '../helpers/dnsward.js';
import { startUnbound, type Unbound } from '../helpers/unbound.js';
import { sendLoad, type LoadResult, type LoadStream } from '../helpers/udp-load.js';

const TOTAL = Number(process.env.LOAD_COMPLETENESS_QUERIES ?? 200_000);
const ZONE = 'load.example';
const AGENTS = [2, 3, 4, 5].map((k) => ({ source: `127.0.0.${k}`, agent: `agent-${k}` }));
const ALLOWED_NAMES = 20;
const RCODE_NOERROR = 1; // rcode + 1, as the load generator records it
const RCODE_NXDOMAIN = 4;

const ALLOWLIST = `entries:
  - domain: "*.${ZONE}"
    justification: load test zone on a loopback unbound
    owner: qa
    added: 2026-01-01
`;

/** Every fifth query asks one of a few allowed names (served from cache), the rest unique denied names. */
function queryName(agentIndex: number, i: number): string {
  return i % 5 === 0 ? `a${i % ALLOWED_NAMES}.${ZONE}` : `q${agentIndex}-${i}.blocked.test`;
}

function streams(perAgent: number): LoadStream[] {
  return AGENTS.map((a, index) => ({ source: a.source, count: perAgent, name: (i) => queryName(index, i) }));
}

interface Row {
  readonly agent_id: string;
  readonly qname: string;
  readonly n: number;
}

function readLog(path: string): { rows: Row[]; total: number; drops: number } {
  const db = new Database(path, { readonly: true });
  try {
    const rows = db
      .prepare('SELECT agent_id, qname, count(*) AS n FROM queries GROUP BY agent_id, qname')
      .all() as Row[];
    const total = (db.prepare('SELECT count(*) AS n FROM queries').get() as { n: number }).n;
    const drops = (
      db.prepare('SELECT coalesce(sum(dropped), 0) AS n FROM query_log_drops').get() as { n: number }
    ).n;
    return { rows, total, drops };
  } finally {
    db.close();
  }
}

/** (agent, qname) -> how many of its queries were answered, from the load generator's own record. */
function expectedRows(load: LoadResult): Map<string, number> {
  const expected = new Map<string, number>();
  for (const stream of load.streams) {
    const agent = AGENTS.find((a) => a.source === stream.source)?.agent ?? '?';
    const agentIndex = AGENTS.findIndex((a) => a.source === stream.source);
    stream.rcodes.forEach((rcode, i) => {
      if (rcode === 0) return;
      const key = `${agent} ${queryName(agentIndex, i)}`;
      expected.set(key, (expected.get(key) ?? 0) + 1);
    });
  }
  return expected;
}

function config(unbound: Unbound, store: Record<string, unknown>): Record<string, unknown> {
  return {
    upstreams: { default: [`127.0.0.1:${unbound.port}`], timeoutMs: 2000 },
    identity: { defaultGroup: 'unknown' },
    groups: [
      {
        name: 'fleet',
        tier: 3,
        clients: AGENTS.map((a) => ({ cidr: `${a.source}/32`, agent: a.agent })),
        allowlists: ['fleet.yaml'],
        // the test counts rows of unique names under the wildcard: no new-name budget
        wildcardBudget: false,
      },
    ],
    store,
    log: { level: 'error' },
  };
}

describe(`query log completeness under load (${TOTAL} queries, 4 agents)`, () => {
  let unbound: Unbound;
  before(async () => {
    unbound = await startUnbound(
      ZONE,
      Array.from({ length: ALLOWED_NAMES }, (_, i) => `a${i}.${ZONE}. 3600 IN A 192.0.2.${i + 1}`),
    );
  });
  after(() => unbound.stop());

  // the stages (query log, detection) inline on the answer thread, and on their own thread
  for (const thread of ['never', 'always'] as const) {
    it(`logs exactly one row per answered query, attributed to the right agent (store.thread: ${thread})`, async (t) => {
      let server: Dnsward | undefined;
      try {
        // on the batched UDP engine: the fastest path must lose no row either
        server = await startDnsward(
          config(unbound, { queueSize: 200_000, batchSize: 5000, thread }),
          { 'fleet.yaml': ALLOWLIST },
          { udpEngine: 'native' },
        );
        const load = await sendLoad({
          port: server.port,
          streams: streams(TOTAL / AGENTS.length),
          timeoutMs: 10_000,
        });
        await server.stop(); // SIGTERM: the queue is flushed before exit
        const answered = load.streams.reduce((sum, s) => sum + s.answered, 0);
        const lost = load.streams.reduce((sum, s) => sum + s.lost, 0);
        t.diagnostic(
          `${answered} answered in ${load.seconds.toFixed(1)} s = ${Math.round(load.qps)} q/s sustained, ${lost} lost`,
        );
        assert.equal(lost, 0, 'every query answered');
        for (const stream of load.streams) {
          stream.rcodes.forEach((rcode, i) =>
            assert.equal(rcode, i % 5 === 0 ? RCODE_NOERROR : RCODE_NXDOMAIN, `${stream.source} query ${i}`),
          );
        }

        const log = readLog(server.dbPath);
        assert.equal(log.drops, 0, 'nothing dropped with the default backlog');
        assert.equal(log.total, answered, 'one row per answered query');
        const expected = expectedRows(load);
        const mismatched = log.rows.filter((row) => expected.get(`${row.agent_id} ${row.qname}`) !== row.n);
        assert.deepEqual(mismatched.slice(0, 5), [], 'rows per (agent, name) equal the answered queries');
        assert.equal(log.rows.length, expected.size, 'no (agent, name) missing from the log');
      } finally {
        await server?.stop();
      }
    });

    it(`counts every event it cannot keep when the backlog is exceeded: answered = rows + drops (store.thread: ${thread})`, async (t) => {
      let server: Dnsward | undefined;
      try {
        // a 200-event backlog flushed every 50 ms cannot hold a burst of thousands of queries per second
        server = await startDnsward(
          config(unbound, { queueSize: 200, batchSize: 5000, flushIntervalMs: 50, thread }),
          { 'fleet.yaml': ALLOWLIST },
          { udpEngine: 'native' },
        );
        const load = await sendLoad({
          port: server.port,
          streams: streams(Math.min(TOTAL, 40_000) / AGENTS.length),
          timeoutMs: 10_000,
        });
        await server.stop();
        const answered = load.streams.reduce((sum, s) => sum + s.answered, 0);
        const lost = load.streams.reduce((sum, s) => sum + s.lost, 0);
        const log = readLog(server.dbPath);
        t.diagnostic(
          `${answered} answered, ${log.total} logged, ${log.drops} counted as dropped, ${lost} lost`,
        );
        assert.equal(lost, 0, 'every query answered');
        assert.ok(log.drops > 0, 'the burst exceeded the backlog');
        assert.equal(log.total + log.drops, answered, 'answered = logged rows + counted drops');
        // what was logged is still attributed right and never duplicated
        const expected = expectedRows(load);
        const wrong = log.rows.filter((row) => (expected.get(`${row.agent_id} ${row.qname}`) ?? 0) < row.n);
        assert.deepEqual(wrong.slice(0, 5), []);
      } finally {
        await server?.stop();
      }
    });
  }
});
