// ServerMetrics: per-query series counted in batches, values read from the server's counters at scrape,
// bounded labels, and the exposition parsed back as Prometheus would read it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { BatchCounter, BatchHistogram, OVERFLOW_LABEL } from '../../../src/metrics/batch-metrics.js';
import { ServerMetrics } from '../../../src/metrics/registry.js';
import type { QueryEvent } from '../../../src/model/query-event.js';
import { parseExposition, total, value } from './exposition.js';

function event(overrides: Partial<QueryEvent> = {}): QueryEvent {
  return {
    ts: Date.parse('2026-11-01T00:00:00Z'),
    transport: 'udp',
    clientIp: '10.0.0.1',
    clientPort: 5353,
    agentId: 'agent-1',
    group: 'research',
    tier: 3,
    qname: 'api.example.org',
    qtype: 'A',
    decision: 'allow',
    reason: 'allowlisted',
    ruleId: 'allowlists/research.yaml:4 api.example.org',
    rcode: 'NOERROR',
    upstream: '127.0.0.1:53',
    cached: false,
    answeredBy: 'upstream',
    latencyUs: 1800,
    reqBytes: 40,
    respBytes: 80,
    answers: 1,
    ...overrides,
  };
}

async function scrape(metrics: ServerMetrics): Promise<ReturnType<typeof parseExposition>> {
  return parseExposition((await metrics.exposition()).body);
}

describe('ServerMetrics', () => {
  it('counts queries by decision, rcode, qtype and group, and entry hits by domain', async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    metrics.policyLoaded({
      version: 'abc123',
      compiledAt: 1_000_000,
      groups: new Map([
        [
          'research',
          {
            name: 'research',
            entries: [{ domain: 'api.example.org' }, { domain: '*.cdn.example.org' }],
          },
        ],
      ]),
    });
    metrics.queries.consume([
      event(),
      event({ answeredBy: 'cache', cached: true, latencyUs: 90 }),
      // the same entry after its line moved (a reload): same series
      event({ ruleId: 'allowlists/research.yaml:9 api.example.org', answeredBy: 'cache', latencyUs: 70 }),
      event({
        decision: 'deny',
        reason: 'not-allowlisted',
        ruleId: 'research/default-deny',
        rcode: 'NXDOMAIN',
        qname: 'x.evil.example',
        answeredBy: 'policy',
        upstream: null,
        latencyUs: 40,
      }),
      event({
        decision: 'deny',
        qtype: 'TYPE65280',
        rcode: 'NXDOMAIN',
        ruleId: 'research/qtypes',
        answeredBy: 'policy',
        upstream: null,
        latencyUs: 30,
      }),
    ]);
    const m = await scrape(metrics);
    const q = (labels: Record<string, string>): number | undefined =>
      value(m, 'dnsward_queries_total', labels);
    assert.equal(q({ decision: 'allow', rcode: 'NOERROR', qtype: 'A', group: 'research' }), 3);
    assert.equal(q({ decision: 'deny', rcode: 'NXDOMAIN', qtype: 'A', group: 'research' }), 1);
    assert.equal(q({ decision: 'deny', rcode: 'NXDOMAIN', qtype: 'OTHER', group: 'research' }), 1);
    assert.equal(m.types.get('dnsward_queries_total'), 'counter');

    const hits = (entry: string): number | undefined =>
      value(m, 'dnsward_allowlist_entry_hits_total', { group: 'research', entry });
    assert.equal(hits('api.example.org'), 3);
    assert.equal(hits('*.cdn.example.org'), 0, 'declared at 0 so unused entries show');

    assert.equal(m.types.get('dnsward_answer_latency_seconds'), 'histogram');
    const bucket = (by: string, le: string): number | undefined =>
      value(m, 'dnsward_answer_latency_seconds_bucket', { answered_by: by, le });
    assert.equal(bucket('policy', '0.0001'), 2);
    assert.equal(bucket('cache', '0.0001'), 2);
    assert.equal(bucket('upstream', '0.001'), 0);
    assert.equal(bucket('upstream', '0.0025'), 1);
    assert.equal(bucket('upstream', '+Inf'), 1);
    assert.equal(value(m, 'dnsward_answer_latency_seconds_count', { answered_by: 'cache' }), 2);
    assert.ok(
      Math.abs((value(m, 'dnsward_answer_latency_seconds_sum', { answered_by: 'cache' }) ?? 0) - 0.00016) <
        1e-9,
    );
    assert.equal(value(m, 'dnsward_upstream_latency_seconds_count', { upstream: '127.0.0.1:53' }), 1);

    assert.equal(value(m, 'dnsward_policy_info', { version: 'abc123' }), 1);
    assert.equal(value(m, 'dnsward_policy_loaded_timestamp_seconds'), 1000);
    assert.equal(value(m, 'dnsward_policy_allowlist_entries', { group: 'research' }), 2);
    // no label is a client address or a query name
    for (const sample of m.samples) {
      for (const label of Object.values(sample.labels)) {
        assert.ok(!['10.0.0.1', 'x.evil.example'].includes(label), `${sample.name} has label ${label}`);
      }
    }
  });

  it('reads cache, queue, upstream and query-log counters from the server at scrape time', async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    const before = await scrape(metrics);
    assert.equal(value(before, 'dnsward_cache_hits_total'), 0, 'series exist (at 0) before the server is up');
    const cache = { hits: 7, misses: 3, size: 2 };
    const queue = { backlog: 5, dropped: 11, offered: 100 };
    const failures = new Map([['127.0.0.1:53', 4]]);
    metrics.attach({
      cache,
      queue,
      unreadableDropped: () => 2,
      upstreamFailures: failures,
      upstreamMismatched: () => 1,
      queryLog: { lagMs: 250, written: 89 },
      allowlistHits: { failures: 0 },
    });
    let m = await scrape(metrics);
    assert.equal(value(m, 'dnsward_cache_hits_total'), 7);
    assert.equal(value(m, 'dnsward_cache_misses_total'), 3);
    assert.equal(value(m, 'dnsward_cache_entries'), 2);
    assert.equal(value(m, 'dnsward_events_backlog'), 5);
    assert.equal(value(m, 'dnsward_events_dropped_total'), 11);
    assert.equal(value(m, 'dnsward_querylog_write_lag_seconds'), 0.25);
    assert.equal(value(m, 'dnsward_querylog_rows_written_total'), 89);
    assert.equal(value(m, 'dnsward_upstream_errors_total', { upstream: '127.0.0.1:53' }), 4);
    assert.equal(value(m, 'dnsward_upstream_mismatched_answers_total'), 1);
    assert.equal(value(m, 'dnsward_dns_unreadable_dropped_total'), 2);
    cache.hits = 9;
    failures.set('[::1]:53', 1);
    m = await scrape(metrics);
    assert.equal(value(m, 'dnsward_cache_hits_total'), 9);
    assert.equal(total(m, 'dnsward_upstream_errors_total'), 5);
  });

  it('counts reloads by result and keeps one policy_info series, for the version in force', async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    const policy = (version: string) => ({ version, compiledAt: 0, groups: new Map() });
    metrics.policyLoaded(policy('v1'));
    metrics.reloaded(true);
    metrics.policyLoaded(policy('v2'));
    metrics.reloaded(false);
    let m = await scrape(metrics);
    assert.equal(value(m, 'dnsward_policy_reloads_total', { result: 'success' }), 1);
    assert.equal(value(m, 'dnsward_policy_reloads_total', { result: 'failure' }), 1);
    assert.equal(value(m, 'dnsward_policy_last_reload_successful'), 0);
    assert.deepEqual(
      m.samples.filter((s) => s.name === 'dnsward_policy_info').map((s) => s.labels.version),
      ['v2'],
    );
    metrics.reloaded(true);
    m = await scrape(metrics);
    assert.equal(value(m, 'dnsward_policy_last_reload_successful'), 1);
  });

  it('counts each alert once, at creation, by rule and severity', async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    const alert = {
      rule: 'encoded-volume',
      severity: 'high',
      agentId: 'a1',
      baseDomain: 'evil.example',
      firstSeenMs: 1,
    };
    metrics.alertsChanged([alert, { ...alert, agentId: 'a2' }]);
    metrics.alertsChanged([alert]); // the same alert, updated
    metrics.alertsChanged([{ ...alert, rule: 'doh-bypass', severity: 'critical' }]);
    const m = await scrape(metrics);
    assert.equal(value(m, 'dnsward_alerts_total', { rule: 'encoded-volume', severity: 'high' }), 2);
    assert.equal(value(m, 'dnsward_alerts_total', { rule: 'doh-bypass', severity: 'critical' }), 1);
  });

  it('includes the process metrics prom-client collects by default', async () => {
    const m = await scrape(new ServerMetrics());
    assert.ok(m.types.has('process_cpu_user_seconds_total'));
    assert.ok(m.types.has('nodejs_eventloop_lag_seconds'));
  });
});

describe('batch metrics', () => {
  it('cap their series: label sets past maxSeries share one "_other" series', async () => {
    const registry = new Registry();
    const counter = new BatchCounter({
      name: 't_total',
      help: 't',
      labelNames: ['k'],
      registers: [registry],
      maxSeries: 3,
    });
    for (let i = 0; i < 10; i++) counter.labels(`v${i}`).value++;
    assert.equal(counter.size, 4);
    const m = parseExposition(await registry.metrics());
    assert.equal(value(m, 't_total', { k: OVERFLOW_LABEL }), 7);
    assert.equal(value(m, 't_total', { k: 'v0' }), 1);
  });

  it('expose histograms with cumulative buckets, +Inf, _sum and _count', async () => {
    const registry = new Registry();
    const histogram = new BatchHistogram({
      name: 'h_seconds',
      help: 'h',
      labelNames: ['k'],
      buckets: [1, 0.1],
      registers: [registry],
    });
    const series = histogram.labels('a');
    for (const v of [0.05, 0.1, 0.5, 3]) histogram.observe(series, v);
    const m = parseExposition(await registry.metrics());
    assert.equal(value(m, 'h_seconds_bucket', { k: 'a', le: '0.1' }), 2, 'le is inclusive');
    assert.equal(value(m, 'h_seconds_bucket', { k: 'a', le: '1' }), 3);
    assert.equal(value(m, 'h_seconds_bucket', { k: 'a', le: '+Inf' }), 4);
    assert.equal(value(m, 'h_seconds_count', { k: 'a' }), 4);
    assert.equal(value(m, 'h_seconds_sum', { k: 'a' }), 3.65);
  });
});
