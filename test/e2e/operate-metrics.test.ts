// Observability end to end: the real `dnsward serve` with a real unbound upstream and real dig. After known
// traffic, /metrics is parsed and checked series by series; /healthz and /readyz answer; the NDJSON stream
// has the documented fields; allowlist hits land in SQLite, where `allowlist stale|suggest` read them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { parse as parseYamlText } from 'yaml';
import { QUERY_FIELDS } from '../../src/store/ndjson-sink.js';
import { dig } from '../helpers/dig.js';
import { REPO_ROOT, startDnsward, type Dnsward } from '../helpers/dnsward.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/processes.js';
import { startUnbound, type Unbound } from '../helpers/unbound.js';
import { parseExposition, total, value, type Exposition } from '../unit/metrics/exposition.js';

const run = promisify(execFile);
const ZONE = 'metrics.example';
const entry = (domain: string): string =>
  `  - domain: "${domain}"\n    justification: "metrics test (QA-9)"\n    owner: qa\n    added: 2026-01-01\n`;

describe('metrics, health and SIEM stream of a running server', () => {
  let unbound: Unbound;
  let server: Dnsward;
  let mport: number;
  let deadPort: number;
  let m: Exposition;
  const sent = { agents: 0, auditors: 0 };
  // store paths resolve against the server's working directory: give an absolute one
  const ndjsonPath = join(mkdtempSync(join(tmpdir(), 'dnsward-ndjson-')), 'events.ndjson');

  before(async () => {
    unbound = await startUnbound(ZONE, [
      `api.${ZONE}. 300 IN A 192.0.2.10`,
      `www.cdn.${ZONE}. 300 IN A 192.0.2.20`,
      `secret.${ZONE}. 300 IN A 192.0.2.66`,
    ]);
    deadPort = await freePort(); // nothing listens: every exchange fails at once (ICMP port unreachable)
    server = await startDnsward(
      {
        upstreams: {
          default: [`127.0.0.1:${unbound.port}`],
          forward: [{ zone: 'dead.example', servers: [`127.0.0.1:${deadPort}`] }],
          timeoutMs: 500,
        },
        identity: { defaultGroup: 'strangers' },
        groups: [
          { name: 'agents', tier: 3, clients: ['127.0.0.1/32'], allowlists: ['agents.yaml'] },
          {
            name: 'auditors',
            tier: 3,
            clients: ['127.0.0.3/32'],
            allowlists: ['agents.yaml'],
            mode: 'audit',
          },
        ],
        store: { ndjson: ndjsonPath },
        metrics: { listen: '127.0.0.1:0' },
      },
      {
        'agents.yaml': `entries:\n${entry(`api.${ZONE}`)}${entry(`*.cdn.${ZONE}`)}${entry(`unused.${ZONE}`)}${entry('*.dead.example')}`,
      },
    );
    mport = Number(/"metrics":(\d+)/.exec(server.output())?.[1]);

    const ask = async (name: string, type = 'A', source = '127.0.0.1'): Promise<string> => {
      if (source === '127.0.0.3') sent.auditors++;
      else sent.agents++;
      return (await dig(server.port, name, { type, extra: ['-b', source] })).status;
    };
    for (let i = 0; i < 3; i++) assert.equal(await ask(`api.${ZONE}`), 'NOERROR'); // upstream, cache, cache
    assert.equal(await ask(`www.cdn.${ZONE}`), 'NOERROR');
    assert.equal(await ask(`secret.${ZONE}`), 'NXDOMAIN');
    assert.equal(await ask(`secret.${ZONE}`), 'NXDOMAIN');
    assert.equal(await ask(`api.${ZONE}`, 'TXT'), 'NOERROR'); // qtype outside tier 3's set: NODATA (L3)
    assert.equal(await ask('x.dead.example'), 'SERVFAIL');
    // audit mode: forwarded, logged as would-deny (unbound's static zone answers NXDOMAIN)
    assert.equal(await ask(`new1.vendor.${ZONE}`, 'A', '127.0.0.3'), 'NXDOMAIN');
    assert.equal(await ask(`new2.vendor.${ZONE}`, 'A', '127.0.0.3'), 'NXDOMAIN');
    const expected = sent.agents + sent.auditors;
    await waitFor(
      async () => {
        m = parseExposition(await (await fetch(`http://127.0.0.1:${mport}/metrics`)).text());
        return value(m, 'dnsward_querylog_rows_written_total') === expected;
      },
      10_000,
      'every event to be consumed',
    );
  });

  after(async () => {
    await server.stop();
    await unbound.stop();
  });

  it('counts queries by decision, rcode, qtype and group', () => {
    const q = (decision: string, rcode: string, qtype: string, group: string): number | undefined =>
      value(m, 'dnsward_queries_total', { decision, rcode, qtype, group });
    assert.equal(q('allow', 'NOERROR', 'A', 'agents'), 4);
    assert.equal(q('deny', 'NXDOMAIN', 'A', 'agents'), 2);
    assert.equal(q('deny', 'NOERROR', 'TXT', 'agents'), 1);
    assert.equal(q('allow', 'SERVFAIL', 'A', 'agents'), 1);
    assert.equal(q('would-deny', 'NXDOMAIN', 'A', 'auditors'), 2);
    assert.equal(total(m, 'dnsward_queries_total'), sent.agents + sent.auditors);
    assert.equal(m.types.get('dnsward_queries_total'), 'counter');
  });

  it('has the answer-latency histogram, cache, upstream, queue and query-log series', () => {
    assert.equal(m.types.get('dnsward_answer_latency_seconds'), 'histogram');
    assert.equal(total(m, 'dnsward_answer_latency_seconds_count'), sent.agents + sent.auditors);
    assert.equal(value(m, 'dnsward_answer_latency_seconds_count', { answered_by: 'cache' }), 2);
    assert.equal(value(m, 'dnsward_answer_latency_seconds_bucket', { answered_by: 'cache', le: '+Inf' }), 2);
    assert.equal(value(m, 'dnsward_cache_hits_total'), 2);
    assert.equal(value(m, 'dnsward_cache_misses_total'), 5); // api, www.cdn, dead, new1, new2
    const upstream = `127.0.0.1:${unbound.port}`;
    assert.equal(value(m, 'dnsward_upstream_latency_seconds_count', { upstream }), 4);
    assert.ok((value(m, 'dnsward_upstream_latency_seconds_sum', { upstream }) ?? 0) > 0);
    assert.ok((value(m, 'dnsward_upstream_errors_total', { upstream: `127.0.0.1:${deadPort}` }) ?? 0) >= 1);
    assert.equal(value(m, 'dnsward_upstream_errors_total', { upstream }), undefined);
    assert.equal(value(m, 'dnsward_events_backlog'), 0);
    assert.equal(value(m, 'dnsward_events_dropped_total'), 0);
    assert.equal(value(m, 'dnsward_events_offered_total'), sent.agents + sent.auditors);
    assert.ok((value(m, 'dnsward_querylog_write_lag_seconds') ?? -1) >= 0);
    assert.equal(m.types.get('dnsward_alerts_total'), 'counter');
  });

  it('counts hits per allowlist entry, unused entries at 0, with no client or qname labels', () => {
    const hits = (group: string, e: string): number | undefined =>
      value(m, 'dnsward_allowlist_entry_hits_total', { group, entry: e });
    assert.equal(hits('agents', `api.${ZONE}`), 3);
    assert.equal(hits('agents', `*.cdn.${ZONE}`), 1);
    assert.equal(hits('agents', '*.dead.example'), 1);
    assert.equal(hits('agents', `unused.${ZONE}`), 0);
    assert.equal(hits('auditors', `api.${ZONE}`), 0);
    const labels = new Set(m.samples.flatMap((s) => Object.values(s.labels)));
    for (const leak of ['127.0.0.1', '127.0.0.3', `secret.${ZONE}`, `new1.vendor.${ZONE}`]) {
      assert.ok(!labels.has(leak), `label value ${leak}`);
    }
  });

  it('reports the policy in force and no reloads yet', () => {
    const info = m.samples.filter((s) => s.name === 'dnsward_policy_info');
    assert.equal(info.length, 1);
    assert.match(info[0]?.labels.version ?? '', /^[0-9a-f]{12}$/);
    assert.equal(value(m, 'dnsward_policy_reloads_total', { result: 'success' }), 0);
    assert.equal(value(m, 'dnsward_policy_reloads_total', { result: 'failure' }), 0);
    assert.equal(value(m, 'dnsward_policy_allowlist_entries', { group: 'agents' }), 4);
  });

  it('answers /healthz and /readyz (listeners, policy and database all up)', async () => {
    const health = await fetch(`http://127.0.0.1:${mport}/healthz`);
    assert.equal(health.status, 200);
    const ready = await fetch(`http://127.0.0.1:${mport}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), {
      ready: true,
      checks: { listeners: true, policy: true, database: true },
    });
  });

  it('streams every query as one NDJSON line with the documented fields', () => {
    const lines = readFileSync(ndjsonPath, 'utf8').trim().split('\n');
    assert.equal(lines.length, sent.agents + sent.auditors);
    for (const line of lines) {
      const record = JSON.parse(line) as Record<string, unknown>;
      assert.deepEqual(Object.keys(record), ['event', 'schema', ...QUERY_FIELDS]);
      assert.equal(record.event, 'query');
      assert.equal(record.schema, 1);
      assert.match(String(record.ts), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    const denied = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((r) => r.qname === `secret.${ZONE}`);
    assert.ok(denied);
    assert.equal(denied.decision, 'deny');
    assert.equal(denied.reason, 'not-allowlisted');
    assert.equal(denied.group, 'agents');
    assert.equal(denied.rcode, 'NXDOMAIN');
  });

  it('persists hits per entry, read by `allowlist stale`, and would-deny names for `allowlist suggest`', async () => {
    const db = new Database(server.dbPath, { readonly: true });
    try {
      const rows = db.prepare('SELECT grp, domain, hits FROM allowlist_hits ORDER BY domain').all();
      assert.deepEqual(rows, [
        { grp: 'agents', domain: '*.cdn.metrics.example', hits: 1 },
        { grp: 'agents', domain: '*.dead.example', hits: 1 },
        { grp: 'agents', domain: 'api.metrics.example', hits: 3 },
      ]);
    } finally {
      db.close();
    }
    const cli = async (...args: string[]): Promise<string> =>
      (
        await run(process.execPath, ['--import', 'tsx', 'src/main.ts', 'allowlist', ...args], {
          cwd: REPO_ROOT,
          timeout: 20_000,
        })
      ).stdout;
    const stale = JSON.parse(
      await cli('stale', '--config', server.configPath, '--db', server.dbPath, '--days', '90', '--json'),
    ) as { checked: number; tooNew: number; stale: unknown[] };
    // hits were only just begun to be recorded: nothing can be called stale yet
    assert.deepEqual([stale.checked, stale.tooNew, stale.stale.length], [8, 5, 0]);

    const yamlText = await cli(
      'suggest',
      '--group',
      'auditors',
      '--since',
      '1h',
      '--config',
      server.configPath,
      '--db',
      server.dbPath,
    );
    const suggested = parseYamlText(yamlText) as {
      group: string;
      entries: { domain: string; justification: string }[];
    };
    assert.equal(suggested.group, 'auditors');
    assert.deepEqual(
      suggested.entries.map((e) => [e.domain, e.justification]),
      [
        [`new1.vendor.${ZONE}`, 'TODO'],
        [`new2.vendor.${ZONE}`, 'TODO'],
      ],
    );
    assert.match(yamlText, /# Group "auditors" \(tier 3\): 4 entries now \+ 2 suggested = 6 \(cap 50\)/);
  });
});
